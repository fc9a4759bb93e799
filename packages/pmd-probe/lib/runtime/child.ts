// The isolated process of a runtime probe: one EAL, N attach/detach cycles of one device, each
// step announced on stdout before it runs, so that a crash or a hang is pinned to its step.
import { Eal, type PortId } from '@dpdk-hotplug/ethdev';
import type { ChildMessage, ChildRequest } from './protocol.js';

const say = (m: ChildMessage) => process.stdout.write(`${JSON.stringify(m)}\n`);

function fail(stage: 'eal' | 'attach' | 'lifecycle' | 'detach', cycle: number, e: unknown): never {
  const err = e as { code?: string; errno?: number; message?: string; dpdkLog?: readonly string[] };
  say({
    failed: {
      stage,
      cycle,
      code: err.code ?? 'ERROR',
      ...(err.errno !== undefined ? { errno: err.errno } : {}),
      message: err.message ?? String(e),
      dpdkLog: [...(err.dpdkLog ?? [])].slice(-20),
    },
  });
  process.exit(0);
}

const request = JSON.parse(process.argv[2] ?? '{}') as ChildRequest;
say({ step: 'eal', cycle: 0 });
let eal: Eal;
try {
  eal = Eal.init(request.eal);
} catch (e) {
  fail('eal', 0, e);
}
let device = '';
for (let cycle = 1; cycle <= request.cycles; cycle++) {
  say({ step: 'attach', cycle });
  let port: PortId;
  try {
    port = eal.attachSync(request.devargs);
  } catch (e) {
    fail('attach', cycle, e);
  }
  if (request.lifecycle) {
    say({ step: 'lifecycle', cycle });
    try {
      eal.configure(port);
      eal.start(port);
      eal.stop(port);
    } catch (e) {
      fail('lifecycle', cycle, e);
    }
  }
  say({ step: 'detach', cycle });
  try {
    device = eal.detachSync(port, { force: true });
  } catch (e) {
    fail('detach', cycle, e);
  }
  say({ resources: eal.resources(), cycle });
}
say({ done: { device, cycles: request.cycles } });
eal.cleanup();
process.exit(0);
