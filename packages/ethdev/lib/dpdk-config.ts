import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { currentDpdk } from './dpdk-install.js';

/** DPDK's default (config/rte_config.h), used when the DPDK in use has no headers to read. */
const DEFAULT_MAX_QUEUES_PER_PORT = 1024;
let maxQueues: number | undefined;

/**
 * RTE_MAX_QUEUES_PER_PORT of the DPDK in use, read from its rte_config.h (Debian's
 * `include/<triplet>/dpdk`, a meson install's `include`, a build folder's top); DPDK's default 1024 without one.
 */
export function maxQueuesPerPort(): number {
  if (maxQueues !== undefined) return maxQueues;
  maxQueues = DEFAULT_MAX_QUEUES_PER_PORT;
  try {
    const { prefix, libdir, kind } = currentDpdk();
    // A build folder's rte_config.h is at its top (meson's configure_file output).
    const dirs =
      kind === 'build'
        ? [prefix]
        : [
            join(prefix, 'include', basename(libdir), 'dpdk'),
            join(prefix, 'include', 'dpdk'),
            join(prefix, 'include'),
          ];
    const header = dirs.map((d) => join(d, 'rte_config.h')).find((f) => existsSync(f));
    const value = header && /^#define RTE_MAX_QUEUES_PER_PORT (\d+)/m.exec(readFileSync(header, 'utf8'))?.[1];
    if (value) maxQueues = Number(value);
  } catch {
    // No DPDK found: the default stands, and attach says what is missing.
  }
  return maxQueues;
}
