import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeFolders } from '@dpdk-hotplug/args';
import type { PlannedWrite } from './bind.js';
import { errnoOf, KernelError, writeHint } from './errors.js';
import { type Host, run } from './host.js';
import { mounts } from './mounts.js';

export interface HugepageNode {
  node: number;
  total: number;
  free: number;
}

export interface HugepageSize {
  pageSizeKb: number;
  total: number;
  free: number;
  reserved: number;
  surplus: number;
  nodes: HugepageNode[];
}

export interface HugetlbfsMount {
  target: string;
  /** The page size the mount serves (its `pagesize=` option, or the default size). */
  pageSizeKb: number;
}

export interface Hugepages {
  defaultPageSizeKb: number | null;
  sizes: HugepageSize[];
  mounts: HugetlbfsMount[];
}

export interface Reservation {
  pageSizeKb: number;
  node: number | null;
  /** Pages before and after; the kernel may have had some already (`after - before` is ours). */
  before: number;
  after: number;
  /** Gives back the pages this reservation added (not "back to before": others may have reserved since). */
  release(): Promise<void>;
  /** True when nothing was written: `after` is the count that would be asked for. */
  dryRun: boolean;
  /** The write made (or that would be made); empty when enough pages were reserved already. */
  writes: PlannedWrite[];
}

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `256M`, `1G`, `2048K`, `1048576` (bytes) → bytes. */
export function parseSize(input: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(input);
  if (!m) {
    throw new KernelError('INVALID_ARGUMENT', `"${input}" is not a size`, {
      hint: 'write it like 256M, 1G or 2048K',
    });
  }
  const bytes = Math.round(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes))
    throw new KernelError('INVALID_ARGUMENT', `"${input}" is too large a size`, {
      hint: 'no machine has that much memory',
    });
  return bytes;
}

/** The machine's memory in bytes (MemTotal of /proc/meminfo), or null where it cannot be read. */
export async function memTotal(host: Host): Promise<number | null> {
  try {
    const m = /^MemTotal:\s+(\d+) kB/m.exec(await host.io.read(host.proc('meminfo')));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const num = async (host: Host, path: string) => Number((await host.io.read(path)).trim());

function sizeDirs(names: string[]): number[] {
  return names
    .map((n) => /^hugepages-(\d+)kB$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Hugepage counts per size and NUMA node, and the hugetlbfs mounts, like `dpdk-hugepages.py -s`. */
export async function hugepages(host: Host): Promise<Hugepages> {
  let sizes: number[] = [];
  try {
    sizes = sizeDirs(await host.io.list(host.sys('kernel/mm/hugepages')));
  } catch {}
  let nodes: number[] = [];
  try {
    nodes = (await host.io.list(host.sys('devices/system/node')))
      .map((n) => /^node(\d+)$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
  } catch {}
  let defaultPageSizeKb: number | null = null;
  try {
    const m = /Hugepagesize:\s+(\d+) kB/.exec(await host.io.read(host.proc('meminfo')));
    if (m) defaultPageSizeKb = Number(m[1]);
  } catch {}
  const result: HugepageSize[] = [];
  for (const kb of sizes) {
    const dir = host.sys('kernel/mm/hugepages', `hugepages-${kb}kB`);
    const perNode: HugepageNode[] = [];
    for (const node of nodes) {
      const nd = host.sys(`devices/system/node/node${node}/hugepages/hugepages-${kb}kB`);
      try {
        perNode.push({
          node,
          total: await num(host, `${nd}/nr_hugepages`),
          free: await num(host, `${nd}/free_hugepages`),
        });
      } catch {}
    }
    result.push({
      pageSizeKb: kb,
      total: await num(host, `${dir}/nr_hugepages`),
      free: await num(host, `${dir}/free_hugepages`),
      reserved: await num(host, `${dir}/resv_hugepages`).catch(() => 0),
      surplus: await num(host, `${dir}/surplus_hugepages`).catch(() => 0),
      nodes: perNode,
    });
  }
  const hugetlbfs = (await mounts(host))
    .filter((m) => m.type === 'hugetlbfs')
    .map((m) => {
      const opt = /pagesize=(\d+)([KMG])/i.exec(m.options);
      const kb = opt ? (Number(opt[1]) * UNITS[opt[2]!.toUpperCase()]!) / 1024 : (defaultPageSizeKb ?? 2048);
      return { target: m.target, pageSizeKb: kb };
    });
  return { defaultPageSizeKb, sizes: result, mounts: hugetlbfs };
}

/**
 * Sets aside enough pages of one size for `bytes`, on one NUMA node or system-wide: in total,
 * like dpdk-hugepages.py --reserve (never lowering a count others hold), or with `add`, on top
 * of what is reserved already. If the kernel grants fewer, the count is put back and
 * HUGEPAGES_SHORT says how many it gave. `release()` takes back the pages this call added.
 * Every read-modify-write of the count holds a lock in the host's state folder, so concurrent
 * users (test workers, lab processes) never take each other's pages.
 */
export async function reserveHugepages(
  host: Host,
  size: string | number,
  options: { pageSizeKb?: number; node?: number; add?: boolean; dryRun?: boolean } = {},
): Promise<Reservation> {
  const bytes = typeof size === 'number' ? size : parseSize(size);
  const memory = await memTotal(host);
  if (memory !== null && bytes > memory) {
    throw new KernelError(
      'INVALID_ARGUMENT',
      `${typeof size === 'number' ? `${size} bytes` : size} of hugepages is more than this machine's memory (MemTotal ${Math.round(memory / 2 ** 20)} MiB)`,
      { hint: 'ask for less' },
    );
  }
  const info = await hugepages(host);
  const kb = options.pageSizeKb ?? info.defaultPageSizeKb ?? info.sizes[0]?.pageSizeKb;
  if (kb === undefined || !info.sizes.some((s) => s.pageSizeKb === kb)) {
    throw new KernelError('INVALID_ARGUMENT', `this kernel has no ${kb ?? 'hugepage'} kB pages`, {
      hint: `available sizes: ${info.sizes.map((s) => `${s.pageSizeKb} kB`).join(', ') || 'none (no hugetlb support)'}`,
    });
  }
  const node = options.node ?? null;
  const file =
    node === null
      ? host.sys('kernel/mm/hugepages', `hugepages-${kb}kB`, 'nr_hugepages')
      : host.sys(`devices/system/node/node${node}/hugepages/hugepages-${kb}kB/nr_hugepages`);
  if (!(await host.io.exists(file))) {
    throw new KernelError('INVALID_ARGUMENT', `NUMA node ${node} has no ${kb} kB hugepages`, { path: file });
  }
  const pages = Math.ceil(bytes / (kb * 1024));
  if (options.dryRun) {
    // Reads only: no lock either (it is a folder in the state folder).
    const before = await num(host, file);
    const wanted = options.add ? before + pages : pages;
    const writes = before < wanted ? [{ path: file, data: `${wanted}\n` }] : [];
    const release = async () => {};
    return { pageSizeKb: kb, node, before, after: Math.max(before, wanted), release, dryRun: true, writes };
  }
  const write = (n: number) => writeCount(host, file, n);
  const writes: PlannedWrite[] = [];
  const { before, after } = await withLock(host, async () => {
    const before = await num(host, file);
    const wanted = options.add ? before + pages : pages;
    if (before < wanted) {
      await write(wanted);
      writes.push({ path: file, data: `${wanted}\n` });
    }
    const after = await num(host, file);
    if (after < wanted) {
      await write(before);
      throw new KernelError(
        'HUGEPAGES_SHORT',
        `asked for ${wanted} pages of ${kb} kB, the kernel gave ${after}`,
        {
          path: file,
          hint: 'memory is too fragmented: free memory, or reserve at boot (hugepages=N on the kernel command line)',
        },
      );
    }
    return { before, after };
  });
  // Give back what this reservation added, from whatever the count is by then: another user may
  // have reserved more meanwhile, and "back to before" would take their pages.
  const added = Math.max(0, after - before);
  const release = () => giveBack(host, file, added);
  return { pageSizeKb: kb, node, before, after, release, dryRun: false, writes };
}

function giveBack(host: Host, file: string, pages: number): Promise<void> {
  return withLock(host, async () => writeCount(host, file, Math.max(0, (await num(host, file)) - pages)));
}

async function writeCount(host: Host, file: string, n: number): Promise<void> {
  try {
    await host.io.write(file, `${n}\n`);
  } catch (cause) {
    const errno = errnoOf(cause);
    throw new KernelError('SYSFS_WRITE_FAILED', `cannot set ${file} to ${n} (${errno ?? 'error'})`, {
      path: file,
      errno,
      hint: writeHint(errno, host.uid),
      cause,
    });
  }
}

/**
 * Gives back `pages` hugepages of one size that a reservation added but could not release itself
 * (its process was killed), from whatever the count is now, under the same lock: never the count
 * "before", which would take pages others reserved since.
 */
export async function releaseHugepages(
  host: Host,
  pages: number,
  options: { pageSizeKb: number; node?: number },
): Promise<void> {
  if (!Number.isInteger(pages) || pages < 0)
    throw new KernelError('INVALID_ARGUMENT', `cannot give back ${pages} hugepages`, {});
  const kb = options.pageSizeKb;
  const file =
    options.node === undefined
      ? host.sys('kernel/mm/hugepages', `hugepages-${kb}kB`, 'nr_hugepages')
      : host.sys(`devices/system/node/node${options.node}/hugepages/hugepages-${kb}kB/nr_hugepages`);
  await giveBack(host, file, pages);
}

/** Runs `fn` holding a lock folder (mkdir is atomic); one older than 10 s was left by a crash. */
async function withLock<T>(host: Host, fn: () => Promise<T>): Promise<T> {
  const lock = join(host.stateDir, 'hugepages.lock');
  await mkdir(host.stateDir, { recursive: true });
  for (const deadline = Date.now() + 10_000; ; ) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 10_000 || Date.now() > deadline) await rm(lock, { recursive: true, force: true });
      else await sleep(5);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The command that mounts hugetlbfs at `dir` for one page size. */
export function hugetlbfsMountCommand(dir: string, pageSizeKb: number): string[] {
  return ['mount', '-t', 'hugetlbfs', '-o', `pagesize=${pageSizeKb}K`, 'nodev', dir];
}

/**
 * Mounts hugetlbfs at `dir` (created if missing) for one page size. With `dryRun`, creates and
 * mounts nothing and returns the command it would run.
 */
export async function mountHugetlbfs(
  host: Host,
  dir: string,
  options: { pageSizeKb?: number; dryRun?: boolean } = {},
): Promise<HugetlbfsMount & { command: string[] }> {
  const kb = options.pageSizeKb ?? (await hugepages(host)).defaultPageSizeKb ?? 2048;
  const [file, ...args] = hugetlbfsMountCommand(dir, kb);
  if (options.dryRun) return { target: dir, pageSizeKb: kb, command: [file!, ...args] };
  makeFolders(dir); // not mkdir -p of Node, which loops for ever under /proc
  try {
    await run(host, file!, args);
  } catch (cause) {
    throw new KernelError('MOUNT_FAILED', `cannot mount hugetlbfs at ${dir}`, {
      hint: (cause as KernelError).hint ?? 'run as root',
      cause,
    });
  }
  return { target: dir, pageSizeKb: kb, command: [file!, ...args] };
}

/**
 * Unmounts the hugetlbfs mounted at `dir`; refuses (INVALID_ARGUMENT) a folder where no
 * hugetlbfs is mounted, so it never unmounts anything else. With `dryRun`, only that check
 * (the command would be `umount <dir>`).
 */
export async function unmountHugetlbfs(
  host: Host,
  dir: string,
  options: { dryRun?: boolean } = {},
): Promise<void> {
  const mounts = (await hugepages(host)).mounts;
  if (!mounts.some((m) => m.target === dir)) {
    throw new KernelError('INVALID_ARGUMENT', `no hugetlbfs is mounted at ${dir}`, {
      hint: `hugetlbfs mounts: ${mounts.map((m) => m.target).join(', ') || 'none'}`,
    });
  }
  if (options.dryRun) return;
  try {
    await run(host, 'umount', [dir]);
  } catch (cause) {
    throw new KernelError('MOUNT_FAILED', `cannot unmount ${dir}`, {
      hint: 'stop the DPDK processes that still map its files',
      cause,
    });
  }
}
