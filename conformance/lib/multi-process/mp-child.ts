/**
 * Check 14's DPDK processes: a primary or a secondary of one DPDK instance, driven by JSON lines
 * on stdin ({ op: 'attach' | 'ports' | 'detach' | 'quit', devargs?, device?, order? }), answering
 * one JSON line each. Usage: node mp-child.js primary|secondary FILE_PREFIX HUGE_DIR
 */
import { createInterface } from 'node:readline';
import { Eal, isHotplugError } from '@dpdk-hotplug/ethdev';
import { dpdkPortCloser } from '@dpdk-hotplug/ethdev/testing';
import { runDrivers } from '../common/run-drivers.js';
import type { DetachOrder } from './mp-scenario.js';

const [role, filePrefix, hugeDir] = process.argv.slice(2) as ['primary' | 'secondary', string, string];
const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
/** Above V8's random mmap hints (x64: 46 bits), below the kernel's top-down mmap area. */
const BASE_VIRTADDR = '0x500000000000';

let eal: Eal;
try {
  eal = Eal.init({
    processType: role,
    filePrefix,
    noPci: true,
    logLevel: 'error',
    logEcho: false,
    // The lab's tx file lives in its private folder: the PMD may write it again.
    overwriteFiles: true,
    drivers: runDrivers(), // certify --driver: the run's out-of-tree PMDs
    ...(role === 'primary' ? { memoryMb: 32 } : {}),
    // The secondary maps the primary's memory at the same addresses, and its V8 has placed
    // mappings at random hints below 2^46 (64 TiB) before: at 0x200000000000 (32 TiB) 7 of 70
    // secondaries found one in the way. Above 2^46 none can be (0 of 40; 7 December 2026).
    // No PCI here, so no IOMMU's address width to stay under.
    extraArgs: ['--huge-dir', hugeDir, ...(role === 'primary' ? ['--base-virtaddr', BASE_VIRTADDR] : [])],
  });
} catch (e) {
  // The EAL did not start: say why in DPDK's words (a secondary that cannot map the primary's
  // memory at the same addresses fails here), so the check can tell the machine from the PMD.
  const err = e as { code?: string; message?: string; dpdkLog?: string[] };
  reply({
    ready: false,
    error: err.code ?? 'ERROR',
    message: err.message,
    dpdkLog: (err.dpdkLog ?? []).slice(-8),
  });
  process.exit(1);
}
reply({ ready: true, role });

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { op: string; devargs?: string; device?: string; order?: DetachOrder };
  try {
    if (cmd.op === 'attach') reply({ port: eal.attachSync(cmd.devargs!) });
    else if (cmd.op === 'ports')
      reply({ ports: eal.ports().map((p) => ({ id: p.id, device: p.device, state: p.state })) });
    else if (cmd.op === 'detach') {
      const port = eal.ports().find((p) => p.device === cmd.device);
      if (port && cmd.order === 'close-then-remove') {
        // The SDK's close only marks the port in a primary; DPDK's close runs here, before removal.
        eal.close(port.id);
        const rc = dpdkPortCloser()(port.id);
        if (rc < 0) throw new Error(`rte_eth_dev_close(${port.id}) returned ${rc}`);
      }
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
