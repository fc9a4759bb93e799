import { readdirSync, readFileSync } from 'node:fs';

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
