// The EAL of a test's child process: no hugepages, no PCI, its own file prefix, DPDK's log kept
// out of the child's output. One home for what fatal-, hang-, spin-child and raw-probe start.
import { Eal } from '../../dist/index.js';

export function startChildEal(prefix) {
  return Eal.init({
    noHuge: true,
    noPci: true,
    memoryMb: 64,
    noSharedConfig: true,
    filePrefix: prefix,
    logLevel: 'error',
    logEcho: false,
  });
}
