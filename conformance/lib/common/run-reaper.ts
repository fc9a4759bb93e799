/**
 * The run's reaper: started by Playwright's runner when `dpdk-hotplug certify` is gone (killed,
 * even by SIGKILL), in a process group and session of its own. By the time it runs, the shell that
 * starts it has already SIGKILLed the runner's whole group (runner, workers and their children) in
 * one kill(2), so no worker can start another; here the ledger's leftovers are undone — detached
 * children (multi-process groups, testpmd) by pid, interfaces, namespaces, mounts, folders,
 * hugepages — exactly as the global teardown would have.
 * Usage: node run-reaper.js LEDGER
 */
import { undoLeftovers } from './ledger.js';

const ledger = process.argv[2];
if (ledger) {
  const { undone, problems } = await undoLeftovers(ledger);
  for (const line of undone) console.error(`safety net: ${line} (the run was stopped)`);
  for (const line of problems) console.error(`safety net: could not undo ${line}`);
}
