/**
 * What a devargs may ask of the kernel and of DPDK's memory, checked before any PMD sees it: a
 * few keys multiply into gigabytes that no rlimit or cgroup of the process caps (af_packet's
 * rings are kernel memory; `framecnt=131072,qpairs=2` took 1.02 GiB of MemAvailable).
 */
import type { Refuse } from './pmd-args.js';

/**
 * af_packet opens a socket and maps its rings for every queue pair in the probe: about 40 ms a
 * pair here (64 pairs 2.6 s, over 5 s under load: the fuzzer's hangs), so a device takes at most
 * 16, af_packet's own RTE_PMD_AF_PACKET_MAX_RINGS.
 */
export const AF_PACKET_MAX_QPAIRS = 16;

/**
 * The most one device's rings may take (af_packet's kernel rings, memif's shared regions) unless
 * `Eal.init({ devargsBudgetMb })` says otherwise: 256 MiB, 128 times af_packet's default device
 * (1 queue pair of 2 rings × 512 frames × 2048 bytes = 2 MiB) and 64 times memif's (4 MiB).
 */
export const DEFAULT_DEVARGS_BUDGET_MB = 256;

/** What a device's rings ask for, with the arithmetic and the key that set it (parse time). */
export interface RingAsk {
  /** The device whose rings these are (the device itself, or a failsafe's sub-device). */
  readonly device: string;
  /** The PMD argument that set the size (or the PMD's default when none did). */
  readonly key: string;
  /** The memory the rings take, in bytes. */
  readonly bytes: number;
  /** How `bytes` was reckoned, for the refusal's message (`2 rings × 512 frames × 2048 B`). */
  readonly arithmetic: string;
}

// net_af_packet's defaults (DFLT_FRAME_SIZE, DFLT_FRAME_COUNT) in 22.11 … 25.11.
const AF_PACKET = { framesz: 2048, framecnt: 512, qpairs: 1 };
// net_memif's defaults: 2^10 descriptors of 2048 bytes, one queue each way.
const MEMIF = { rsize: 10, bsize: 2048, queues: 1 };

function bytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (n >= size) return `${Number((n / size).toFixed(2))} ${unit}`;
  }
  return `${n} bytes`;
}

/** A decimal integer value, or the default when absent; NaN (refused by the caller) otherwise. */
function int(pairs: ReadonlyMap<string, string>, key: string, fallback: number): number {
  const v = pairs.get(key);
  if (v === undefined) return fallback;
  return /^\d{1,12}$/.test(v) ? Number(v) : Number.NaN;
}

/**
 * What a device's rings ask for (undefined when its PMD maps none, or a number is malformed: the
 * PMD refuses it); refuses af_packet's queue pairs past AF_PACKET_MAX_QPAIRS at once (a bound of
 * time, not of memory).
 */
export function ringAsk(
  driver: string | undefined,
  device: string,
  pairs: ReadonlyMap<string, string>,
  refuse: Refuse,
): RingAsk | undefined {
  if (driver === 'net_af_packet') {
    // A queue pair has an rx and a tx ring of framecnt frames of framesz bytes (mmap'd from the kernel).
    const framecnt = int(pairs, 'framecnt', AF_PACKET.framecnt);
    const framesz = int(pairs, 'framesz', AF_PACKET.framesz);
    const qpairs = int(pairs, 'qpairs', AF_PACKET.qpairs);
    const total = 2 * qpairs * framecnt * framesz;
    if (Number.isNaN(total)) return undefined;
    if (qpairs > AF_PACKET_MAX_QPAIRS)
      refuse(
        `qpairs=${qpairs}: af_packet opens a socket and maps two rings per queue pair in its probe (about 40 ms each here); a device takes at most ${AF_PACKET_MAX_QPAIRS} (RTE_PMD_AF_PACKET_MAX_RINGS)`,
        'qpairs',
      );
    const key = pairs.has('framecnt') ? 'framecnt' : pairs.has('framesz') ? 'framesz' : 'qpairs';
    const arithmetic = `af_packet's rings are kernel memory: 2 rings × ${qpairs} qpairs × ${framecnt} frames × ${framesz} bytes = ${bytes(total)}`;
    return { device, key, bytes: total, arithmetic };
  }
  if (driver === 'net_memif') {
    const rsize = int(pairs, 'rsize', MEMIF.rsize);
    const bsize = int(pairs, 'bsize', MEMIF.bsize);
    if (Number.isNaN(rsize) || Number.isNaN(bsize) || rsize > 30) return undefined;
    // Each ring of 2^rsize buffers of bsize bytes, one per direction: the region memif maps.
    const total = 2 * MEMIF.queues * 2 ** rsize * bsize;
    const key = pairs.has('rsize') ? 'rsize' : 'bsize';
    return {
      device,
      key,
      bytes: total,
      arithmetic: `memif's region: 2 rings × 2^${rsize} buffers × ${bsize} bytes = ${bytes(total)}`,
    };
  }
  return undefined;
}

/** Refuses the first device whose rings ask more than `budgetMb` MiB, with the arithmetic. */
export function checkRingBudget(asks: readonly RingAsk[], budgetMb: number, refuse: Refuse): void {
  const budget = budgetMb * 2 ** 20;
  const over = asks.find((a) => a.bytes > budget);
  if (over)
    refuse(
      `${over.device}: ${over.arithmetic}, over the budget of ${bytes(budget)} a device may ask (Eal.init's devargsBudgetMb${budgetMb === DEFAULT_DEVARGS_BUDGET_MB ? `, default ${DEFAULT_DEVARGS_BUDGET_MB}` : ''})`,
      over.key,
    );
}
