// Probes devargs straight through the binding, past the SDK's checks, in a child process of
// hazards.test.ts: what DPDK itself does with a hazardous input. Reports on stderr.
// Usage: node raw-probe.mjs FILE_PREFIX DEVARGS [FILE_FOR_FD]
import { openSync } from 'node:fs';
import { dpdk } from '../../dist/binding.js';
import { Eal } from '../../dist/index.js';

const [prefix, template, fdFile] = process.argv.slice(2);
const devargs = fdFile ? template.replace('{fd}', String(openSync(fdFile, 'r'))) : template;
Eal.init({
  noHuge: true,
  noPci: true,
  memoryMb: 64,
  noSharedConfig: true,
  filePrefix: prefix,
  logLevel: 'error',
  logEcho: false,
});
process.stderr.write('probing\n');
const rc = dpdk().rte_dev_probe(devargs);
const sub = dpdk().dphp_device_ports('net_null7', new Uint16Array(32), 32);
process.stderr.write(`rc=${rc} sub=${sub}\n`);
