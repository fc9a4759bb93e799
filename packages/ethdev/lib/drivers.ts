import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import type { DpdkInstall } from './dpdk-install.js';
import { EalStateError, InvalidInputError } from './errors.js';

function bad(path: unknown, why: string): InvalidInputError {
  return new InvalidInputError(
    'INVALID_OPTION',
    `Invalid EAL option drivers: ${JSON.stringify(path)} ${why}`,
  );
}

/** Checks an out-of-tree PMD for `-d`: an absolute path to a readable regular file. */
export function driverPath(path: unknown): string {
  if (typeof path !== 'string' || path.includes('\0')) throw bad(path, 'is not a path');
  // EAL resolves a relative path against the process's cwd at init: ambiguous, so refused.
  if (!isAbsolute(path)) throw bad(path, 'is not an absolute path');
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw bad(path, 'does not exist');
  }
  if (!isFile)
    throw bad(path, 'is not a regular file (give the PMD .so; a folder would load every .so in it)');
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw bad(path, 'is not readable');
  }
  const open = worldWritableOnPath(path);
  if (open !== undefined) {
    throw bad(
      path,
      `is below ${open}, which anyone may write: DPDK refuses to load a PMD from there ("world-writable and insecure"); put it in a folder only its owner can write`,
    );
  }
  return path;
}

/**
 * Refuses a DPDK whose own PMD folder DPDK would refuse (a prefix installed below /tmp): EAL's
 * "Cannot init plugins" would otherwise be all the user sees.
 */
export function checkPmdFolder(install: DpdkInstall): void {
  const open = install.pmdDir && worldWritableOnPath(install.pmdDir);
  if (open) {
    throw new EalStateError(
      'UNSUPPORTED_DPDK',
      `DPDK ${install.version} at ${install.prefix} cannot load its PMDs: its PMD folder ${install.pmdDir} is below ${open}, which anyone may write, and DPDK refuses to load plugins from there; install it in a folder only its owner can write`,
    );
  }
}

/**
 * The first world-writable file or folder on the real path of `path` (from `/` down), as DPDK's
 * EAL looks before it loads a plugin (`verify_perms` on `realpath`, the file and every folder
 * above it: S_IWOTH refuses, a sticky bit does not help); undefined when DPDK would accept it.
 */
export function worldWritableOnPath(path: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return undefined;
  }
  const chain: string[] = [];
  for (let p = real; ; p = dirname(p)) {
    chain.unshift(p);
    if (p === dirname(p)) break;
  }
  return chain.find((p) => (statSync(p).mode & constants.S_IWOTH) !== 0);
}

/**
 * Why EAL could not load a PMD (`-d`, or its own PMD folder), from its log: the line before
 * "Cannot init plugins" is dlopen's message or the rule DPDK applied (world-writable folders).
 */
export function pluginFailure(dpdkLog: readonly string[]): string | undefined {
  const at = dpdkLog.findIndex((l) => l.includes('Cannot init plugins'));
  if (at < 0) return undefined;
  const why = dpdkLog
    .slice(0, at)
    .at(-1)
    ?.replace(/^EAL: /, '');
  return `a PMD could not be loaded: ${why ?? 'see dpdkLog'}`;
}
