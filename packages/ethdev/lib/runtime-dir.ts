import { join } from 'node:path';

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
  if (prefix === undefined || existedBefore) return undefined;
  const bases = ['/var/run/dpdk', '/run/dpdk', '/tmp/dpdk'];
  if (process.env.XDG_RUNTIME_DIR) bases.push(join(process.env.XDG_RUNTIME_DIR, 'dpdk'));
  return bases.some((base) => ealDir === join(base, prefix)) ? ealDir : undefined;
}
