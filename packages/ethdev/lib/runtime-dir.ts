import { join } from 'node:path';
import { FILE_PREFIX } from './options.js';

/** Where DPDK 22.11 puts a prefix's runtime folder (eal_create_runtime_dir). */
export function runtimeDirFor(prefix: string): string {
  const base = process.getuid?.() === 0 ? '/var/run' : process.env.XDG_RUNTIME_DIR || '/tmp';
  return join(base, 'dpdk', prefix);
}

/**
 * The runtime folder `cleanup()` may remove: the EAL's own, named by this process's prefix,
 * directly under a DPDK runtime base, and made by this process's init (absent before it).
 */
export function removableRuntimeDir(
  ealDir: string,
  prefix: string | undefined,
  existedBefore: boolean,
): string | undefined {
  // The prefix was checked at init; checked again, as a wrong one here removes a wrong folder.
  if (prefix === undefined || !FILE_PREFIX.test(prefix) || existedBefore) return undefined;
  const bases = ['/var/run/dpdk', '/run/dpdk', '/tmp/dpdk'];
  if (process.env.XDG_RUNTIME_DIR) bases.push(join(process.env.XDG_RUNTIME_DIR, 'dpdk'));
  return bases.some((base) => ealDir === join(base, prefix)) ? ealDir : undefined;
}
