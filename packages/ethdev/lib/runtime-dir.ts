import { join } from 'node:path';

/** Where DPDK 22.11 puts a prefix's runtime folder (eal_create_runtime_dir). */
export function runtimeDirFor(prefix: string): string {
  const base = process.getuid?.() === 0 ? '/var/run' : process.env.XDG_RUNTIME_DIR || '/tmp';
  return join(base, 'dpdk', prefix);
}
