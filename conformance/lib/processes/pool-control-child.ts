/**
 * The pool control's own process (lib/checks/pool-control.ts): a fresh EAL attaches the device and
 * configures it with a large pool, so nothing an earlier attach left in the worker's process
 * (net_af_xdp's sockets) decides the outcome. Prints one JSON line: { ok: true } or the error.
 * Usage: node pool-control-child.js DEVARGS MBUFS
 */
import { Eal, isHotplugError } from '@dpdk-hotplug/ethdev';
import { runDrivers } from '../common/run-drivers.js';

const [devargs, mbufs] = process.argv.slice(2) as [string, string];
try {
  const eal = Eal.init({
    noHuge: true,
    noPci: true,
    memoryMb: 512,
    noSharedConfig: true,
    filePrefix: `certify-pool-${process.pid}`,
    overwriteFiles: true,
    drivers: runDrivers(), // certify --driver: the run's out-of-tree PMDs
    logLevel: 'error',
    logEcho: false,
  });
  const port = eal.attachSync(devargs);
  eal.configure(port, { mbufs: Number(mbufs) });
  eal.detachSync(port, { force: true });
  eal.cleanup();
  console.log(JSON.stringify({ ok: true }));
} catch (e) {
  console.log(
    JSON.stringify({ ok: false, error: isHotplugError(e) ? e.code : 'ERROR', message: (e as Error).message }),
  );
  process.exitCode = 1;
}
