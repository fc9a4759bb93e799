// Probes devargs straight through the binding, past the SDK's checks, in a child process of
// hazards.test.ts: what DPDK itself does with a hazardous input. Reports on stderr.
// Usage: node raw-probe.mjs FILE_PREFIX DEVARGS [FILE_FOR_FD] [traffic]
import { openSync } from 'node:fs';
import { dpdk } from '../../dist/binding.js';
import { startChildEal } from './child-eal.mjs';

const [prefix, template, fdFile, traffic] = process.argv.slice(2);
const devargs = fdFile ? template.replace('{fd}', String(openSync(fdFile, 'r'))) : template;
const eal = startChildEal(prefix);
process.stderr.write('probing\n');
const rc = dpdk().rte_dev_probe(devargs);
const sub = dpdk().dphp_device_ports('net_null7', new Uint16Array(32), 32);
process.stderr.write(`rc=${rc} sub=${sub}\n`);
if (rc === 0 && traffic === 'traffic') {
  // The SDK takes in a port probed behind its back, as one probed at EAL start.
  const port = eal.ports()[0].id;
  eal.configure(port);
  eal.start(port);
  for (let i = 0; i < 10; i++) eal.rxBurst(port, 32);
  process.stderr.write('received\n');
}
