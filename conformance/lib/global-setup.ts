import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchParent } from './parent-watch.js';

const NR_2M = '/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages';

/**
 * The safety net, in Playwright's runner process: a worker killed by a crash or by the hang
 * watchdog cannot undo what it changed on the machine, so the run's end does. It kills leftover
 * check-14 processes, unmounts the suite's hugetlbfs mounts, gives back hugepages to the count
 * the run started with, and removes the suite's DPDK runtime folders. It also watches for
 * `dpdk-hotplug certify` going away (lib/parent-watch.ts).
 */
export default function globalSetup(): () => void {
  // Started by `dpdk-hotplug certify`: stop when it is gone, even killed with SIGKILL.
  watchParent();
  const hugepagesBefore = existsSync(NR_2M) ? readFileSync(NR_2M, 'utf8').trim() : undefined;
  return () => {
    const steps: Array<[string, () => void]> = [
      [
        'kill leftover processes',
        () => execFileSync('pkill', ['-KILL', '-f', 'conformance/dist/mp-child.js'], { stdio: 'ignore' }),
      ],
      [
        'unmount hugetlbfs',
        () => {
          for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
            const [, mountPoint, type] = line.split(' ');
            if (type === 'hugetlbfs' && mountPoint?.startsWith(join(tmpdir(), 'dphp-huge-'))) {
              execFileSync('umount', [mountPoint]);
              rmSync(mountPoint, { recursive: true, force: true });
            }
          }
        },
      ],
      ['restore hugepages', () => hugepagesBefore !== undefined && writeFileSync(NR_2M, hugepagesBefore)],
      [
        'remove runtime folders',
        () => {
          if (!existsSync('/var/run/dpdk')) return;
          for (const name of readdirSync('/var/run/dpdk')) {
            const pid = /^certify-(?:mp-|start-)?(\d+)$/.exec(name)?.[1];
            if (pid && !alive(Number(pid)))
              rmSync(join('/var/run/dpdk', name), { recursive: true, force: true });
          }
        },
      ],
    ];
    for (const [what, step] of steps) {
      try {
        step();
      } catch (e) {
        // pkill exits 1 when nothing matched: that is the good case.
        if (what !== 'kill leftover processes')
          console.error(`safety net: ${what} failed: ${(e as Error).message}`);
      }
    }
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
