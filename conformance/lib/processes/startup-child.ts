/**
 * Check 13's own process: an EAL started with the DUT as `--vdev` (after any helper vdevs),
 * then stop → close → detach of its port. Prints one JSON line with what it saw.
 * Usage: node startup-child.js '["net_null90", "net_bonding0,…"]' DEVICE [MBUFS]
 */
import { Eal, isHotplugError } from '@dpdk-hotplug/ethdev';
import { runDrivers } from '../common/run-drivers.js';

// A failure is one JSON line too, so the check quotes DPDK's words and not a source line.
process.on('uncaughtException', (e) => {
  const code = isHotplugError(e) ? e.code : e.name;
  console.log(JSON.stringify({ error: code, message: e.message }));
  process.exit(1);
});

const [vdevsJson, device, mbufs] = process.argv.slice(2) as [string, string, string?];
const eal = Eal.init({
  noHuge: true,
  noPci: true,
  memoryMb: 256,
  noSharedConfig: true,
  filePrefix: `certify-start-${process.pid}`,
  vdevs: JSON.parse(vdevsJson),
  // The DUT's tx file is in the lab's private folder, written by the worker's attaches before.
  overwriteFiles: true,
  drivers: runDrivers(), // certify --driver: the run's out-of-tree PMDs
  logLevel: 'error',
});
const port = eal.ports().find((p) => p.device === device);
const result: Record<string, unknown> = { listed: port !== undefined, state: port?.state };
if (port) {
  // The DUT's pool (its `mbufs`), as the worker's checks configure it.
  eal.configure(port.id, mbufs ? { mbufs: Number(mbufs) } : {});
  eal.start(port.id);
  eal.stop(port.id);
  eal.close(port.id);
  result.detached = eal.detachSync(port.id);
  result.after = eal.ports().some((p) => p.device === device);
}
eal.cleanup();
console.log(JSON.stringify(result));
