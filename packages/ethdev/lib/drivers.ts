import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { InvalidInputError } from './errors.js';

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
  return path;
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
