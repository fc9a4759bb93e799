/**
 * Check 14's DPDK processes: a primary or a secondary of one DPDK instance, driven by JSON lines
 * on stdin ({ op: 'attach' | 'ports' | 'detach' | 'quit', devargs?, device? }), answering one JSON
 * line each. Usage: node mp-child.js primary|secondary FILE_PREFIX HUGE_DIR
 */
import { createInterface } from 'node:readline';
import { Eal, isHotplugError } from '@dpdk-hotplug/ethdev';

const [role, filePrefix, hugeDir] = process.argv.slice(2) as ['primary' | 'secondary', string, string];
const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const eal = Eal.init({
  processType: role,
  filePrefix,
  noPci: true,
  // The DUT's tx file is in the lab's private folder, written by the worker's attaches before.
  overwriteFiles: true,
  logLevel: 'error',
  logEcho: false,
  ...(role === 'primary' ? { memoryMb: 32 } : {}),
  extraArgs: ['--huge-dir', hugeDir],
});
reply({ ready: true, role });

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { op: string; devargs?: string; device?: string };
  try {
    if (cmd.op === 'attach') reply({ port: eal.attachSync(cmd.devargs!) });
    else if (cmd.op === 'ports')
      reply({ ports: eal.ports().map((p) => ({ id: p.id, device: p.device, state: p.state })) });
    else if (cmd.op === 'detach') {
      const port = eal.ports().find((p) => p.device === cmd.device);
      reply(port ? { detached: eal.detachSync(port.id, { force: true }) } : { error: 'PORT_NOT_FOUND' });
    } else if (cmd.op === 'quit') {
      eal.cleanup();
      reply({ bye: true });
      break;
    }
  } catch (e) {
    reply({ error: isHotplugError(e) ? e.code : 'ERROR', message: (e as Error).message });
  }
}
