import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Open fds, threads and RSS of this process, from /proc/self. */
export function processResources(): { fds: number; threads: number; rssBytes: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return {
    // readdir holds one fd of its own while it reads.
    fds: readdirSync('/proc/self/fd').length - 1,
    threads: field('Threads'),
    rssBytes: field('VmRSS') * 1024,
  };
}

/** Network interfaces in this process's network namespace. */
export function netdevCount(): number {
  return readdirSync('/sys/class/net').length;
}

/**
 * What this process holds, by name: memzones (DPDK's, filled in by `Eal.held()`), open fds (what
 * each points to: `socket:[123]`, `anon_inode:bpf-prog`, a path), network interfaces, and threads
 * (their names). Two snapshots say what a detach left behind (`leftBehind`).
 */
export interface HeldResources {
  /** DPDK memzones by name. */
  memzones: string[];
  /** Open fds, each as what it points to (`socket:[…]`, `anon_inode:bpf-prog`, a path). */
  fds: string[];
  /** Network interfaces of this network namespace, by name. */
  netdevs: string[];
  /** The process's threads, by name. */
  threads: string[];
}

/** The process's part of {@link HeldResources} (no memzones: those need DPDK). */
export function processHeld(): Omit<HeldResources, 'memzones'> {
  const fds: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (!target.startsWith('/proc/')) fds.push(target); // not readdir's own
    } catch {} // closed meanwhile
  }
  const threads: string[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    try {
      threads.push(readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim());
    } catch {} // ended meanwhile
  }
  return { fds, netdevs: readdirSync('/sys/class/net'), threads };
}

/** Memzones DPDK makes at a process's first port and keeps by design: never "left behind". */
const LIFELONG_MEMZONES: ReadonlySet<string> = new Set(['rte_eth_dev_data']);

/** What `now` holds that `before` did not, kind by kind (a name held twice more counts twice). */
export function leftBehind(before: HeldResources, now: HeldResources): HeldResources {
  const diff = (a: readonly string[], b: readonly string[]) => {
    const left = [...a];
    return b.filter((name) => {
      const i = left.indexOf(name);
      if (i < 0) return true;
      left.splice(i, 1);
      return false;
    });
  };
  return {
    memzones: diff(before.memzones, now.memzones).filter((m) => !LIFELONG_MEMZONES.has(m)),
    fds: diff(before.fds, now.fds),
    netdevs: diff(before.netdevs, now.netdevs),
    threads: diff(before.threads, now.threads),
  };
}

/** `memzones +254 (RG_x, RG_y, …); fds +1 (socket:[9])`, or '' when nothing was left behind. */
export function describeHeld(held: HeldResources, names = 4): string {
  return (Object.entries(held) as [string, string[]][])
    .filter(([, list]) => list.length)
    .map(
      ([kind, list]) =>
        `${kind} +${list.length} (${list.slice(0, names).join(', ')}${list.length > names ? ', …' : ''})`,
    )
    .join('; ');
}
