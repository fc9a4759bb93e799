/**
 * The async worker's spin policy (off-thread.ts): during a burst of calls it moves to the
 * process's CPUs besides the main thread's (EAL pins that one to its lcore) and spins there
 * between calls; once the burst ends it goes back to the main thread's CPUs and sleeps, so an
 * idle process uses no CPU; a process with one CPU, or DPDK_HOTPLUG_WORKER_SPIN=0, never spins.
 * A sync call made while it spins goes through it (a burst's DPDK calls on one thread).
 * Each case runs in a child (spin-child.mjs), real DPDK (net_null0), one EAL per process.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./test-support/spin-child.mjs', import.meta.url));
const CYCLES = 3000;
const IDLE_MS = 500;
/** An idle process's CPU over IDLE_MS: V8's and DPDK's own threads, no spinner (which is ~IDLE_MS). */
const IDLE_CPU_MS = IDLE_MS / 10;

interface Report {
  processCpus: string;
  mainCpus: string;
  workerCpusIdle: string;
  workerName: string;
  spinningIdle: boolean;
  awayCpu: number;
  spinningCycles: number;
  syncCalls: number;
  syncCallsAfterIdle: number;
  idleCpuMs: number;
}

async function run(name: string, prefixCommand: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Report> {
  const argv = [
    ...prefixCommand,
    process.execPath,
    CHILD,
    `vitest-${process.pid}-${name}`,
    `${CYCLES}`,
    `${IDLE_MS}`,
  ];
  const { stdout } = await promisify(execFile)(argv[0]!, argv.slice(1), {
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Report;
}

/** A Cpus_allowed_list ("0-2,5") as CPU numbers. */
function expand(list: string): number[] {
  return list.split(',').flatMap((range) => {
    const [from, to = from] = range.split('-').map(Number) as [number, number?];
    return Array.from({ length: to! - from + 1 }, (_, i) => from + i);
  });
}

const cpuList = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
const manyCpus = /[-,]/.test(cpuList);

describe('the async worker between calls', () => {
  it.skipIf(!manyCpus)(
    "spins on the process's other CPUs during a burst, then sleeps on the main thread's: idle at ~0 CPU",
    async () => {
      const r = await run('many');
      expect(r.processCpus).toBe(cpuList);
      // EAL pinned the main thread to its lcore, one CPU of the process's.
      expect(r.mainCpus).not.toBe(r.processCpus);
      // Back-to-back cycles: the worker spun for some (all, on a quiet machine; fewer under load).
      expect(r.spinningCycles).toBeGreaterThan(0);
      // The cycles' sync closes found it hot for some: made on the worker, the device's calls on
      // one thread. Once it is home, sync calls are made here.
      expect(r.syncCalls).toBeGreaterThan(0);
      expect(r.syncCallsAfterIdle).toBe(0);
      // Away, it ran on one of the process's CPUs besides the main thread's (sched_getcpu).
      expect(expand(r.processCpus)).toContain(r.awayCpu);
      expect(expand(r.mainCpus)).not.toContain(r.awayCpu);
      // The burst over: home and asleep.
      expect(r.spinningIdle).toBe(false);
      expect(r.workerCpusIdle).toBe(r.mainCpus);
      expect(r.idleCpuMs).toBeLessThan(IDLE_CPU_MS);
      // Named for top -H and the lab's process timeline.
      expect(r.workerName).toBe('dphp-worker');
    },
    120_000,
  );

  it.skipIf(!manyCpus)(
    'never spins in a process of one CPU',
    async () => {
      const r = await run('one', ['taskset', '-c', cpuList.split(/[-,]/)[0]!]);
      expect(r.processCpus).toBe(r.mainCpus);
      expect(r.spinningCycles).toBe(0);
      expect(r.syncCalls).toBe(0);
      expect(r.awayCpu).toBe(-1);
      expect(r.workerCpusIdle).toBe(r.mainCpus);
      expect(r.idleCpuMs).toBeLessThan(IDLE_CPU_MS);
    },
    120_000,
  );

  it.skipIf(!manyCpus)(
    'never spins with DPDK_HOTPLUG_WORKER_SPIN=0',
    async () => {
      const r = await run('off', [], { DPDK_HOTPLUG_WORKER_SPIN: '0' });
      expect(r.spinningCycles).toBe(0);
      expect(r.syncCalls).toBe(0);
      expect(r.awayCpu).toBe(-1);
      expect(r.workerCpusIdle).toBe(r.mainCpus);
    },
    120_000,
  );
});
