// A burst of async net_null0 cycles, then idle, in a child process of worker-spin.test.ts (run
// under taskset for a one-CPU process). Prints one JSON line: the process's CPUs, the main
// thread's and the worker's (from /proc), the CPU the worker last ran on away (sched_getcpu), how
// many cycles ended with it spinning, how many sync calls (the cycles' closes) it made for the
// main thread, the process's CPU time over IDLE_MS once the burst ended, and how many sync calls
// it made in sync cycles after that (none: it sleeps at home by then).
// Usage: node spin-child.mjs FILE_PREFIX CYCLES IDLE_MS
import { readFileSync } from 'node:fs';
import { dpdk } from '../../dist/binding.js';
import { startChildEal } from './child-eal.mjs';

const [prefix, cyclesText, idleText] = process.argv.slice(2);
const cpusOf = (path) => /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(path, 'utf8'))[1];
const processCpus = cpusOf('/proc/self/status');
const eal = startChildEal(prefix);
let spinningCycles = 0;
for (let i = 0; i < Number(cyclesText); i++) {
  const port = await eal.attach('net_null0');
  eal.close(port);
  await eal.detach(port);
  const worker = dpdk().offThreadWorker().thread();
  if (worker.spinning) spinningCycles++;
}
await new Promise((resolve) => setTimeout(resolve, 50));
const before = process.cpuUsage();
await new Promise((resolve) => setTimeout(resolve, Number(idleText)));
const idle = process.cpuUsage(before);
const { tid, spinning, awayCpu, syncCalls } = dpdk().offThreadWorker().thread();
for (let i = 0; i < 100; i++) {
  const port = eal.attachSync('net_null0');
  eal.close(port);
  eal.detachSync(port);
}
const syncCallsAfterIdle = dpdk().offThreadWorker().thread().syncCalls - syncCalls;
process.stdout.write(
  `${JSON.stringify({
    processCpus,
    mainCpus: cpusOf(`/proc/self/task/${process.pid}/status`),
    workerCpusIdle: cpusOf(`/proc/self/task/${tid}/status`),
    workerName: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(),
    spinningIdle: spinning,
    awayCpu,
    spinningCycles,
    syncCalls,
    syncCallsAfterIdle,
    idleCpuMs: (idle.user + idle.system) / 1000,
  })}\n`,
);
eal.cleanup();
