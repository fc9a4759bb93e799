import { LEDGER_ENV, undoLeftovers } from '../common/ledger.js';
import { outliveClosedOutput, watchParent } from '../common/parent-watch.js';

/**
 * The safety net, in Playwright's runner process: a worker killed by a crash or by the hang
 * watchdog cannot undo what it made on the machine, so the run's end undoes what the run's ledger
 * (lib/common/ledger.ts) still lists — its own processes by pid, interfaces, namespaces, mounts, folders
 * and the hugepages it added — and nothing else. It also watches for `dpdk-hotplug certify` going
 * away (lib/common/parent-watch.ts).
 */
export default function globalSetup(): () => Promise<void> {
  // Started by `dpdk-hotplug certify`: stop when it is gone, even killed with SIGKILL.
  watchParent();
  // Its reports are written even when the run's output has no reader any more.
  outliveClosedOutput();
  return async () => {
    const ledger = process.env[LEDGER_ENV];
    if (!ledger) return;
    const { undone, problems } = await undoLeftovers(ledger);
    for (const line of undone) console.error(`safety net: ${line} (left by a worker that did not finish)`);
    for (const line of problems) console.error(`safety net: could not undo ${line}`);
  };
}
