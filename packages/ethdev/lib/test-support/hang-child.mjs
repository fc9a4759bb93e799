// An EAL whose async attach hangs in DPDK for real, in a child process of async-timeout.test.ts
// (a vitest worker must not be left with a thread stuck in DPDK). The devargs are a hang of
// HAZARDOUS_DEVARGS, given past the SDK's checks by a test-only hook. Reports JSON lines
// prefixed with "@@ " on stdout.
// Usage: node hang-child.mjs never|late FILE_PREFIX DEVARGS TIMEOUT_MS
//   never: DPDK never returns (virtio-user's server mode); the process must still exit.
//   late:  the parent ends the hang after the "wedged" report (it feeds net_pcap's FIFO).
import { once } from 'node:events';
import { attachUncheckedForTests } from '../../dist/eal.js';
import { startChildEal } from './child-eal.mjs';

const [scenario, prefix, devargs, timeoutText] = process.argv.slice(2);
const timeoutMs = Number(timeoutText);
const report = (value) => process.stdout.write(`@@ ${JSON.stringify(value)}\n`);
const codeOf = (fn) => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return e.code ?? String(e);
  }
};
const codeOfAsync = (promise) =>
  promise.then(
    () => 'no error',
    (e) => e.code ?? String(e),
  );

const eal = startChildEal(prefix);
const events = [];
for (const name of ['attach', 'detach', 'late']) eal.on(name, (e) => events.push({ name, ...e }));

// A port attached before the hang: its data path is not DPDK's control path.
const ring = eal.attachSync('net_ring0');
eal.configure(ring);
eal.start(ring);
const frame = Buffer.alloc(64, 1);

// A 1 ms timer: how long the event loop went without running it.
let last = performance.now();
let worstGapMs = 0;
let worstGapAt = 0;
let ticks = 0;
const interval = setInterval(() => {
  const now = performance.now();
  if (now - last > worstGapMs) {
    worstGapMs = now - last;
    worstGapAt = now - t0;
  }
  last = now;
  ticks++;
}, 1);

const t0 = performance.now();
const hung = attachUncheckedForTests(eal, devargs, { timeoutMs });
const queued = codeOfAsync(eal.attach('net_null2'));
const busy = codeOf(() => eal.attachSync('net_null1'));
const busyClose = codeOf(() => eal.stop(ring));
let error;
try {
  await hung;
} catch (e) {
  error = e;
}
const elapsedMs = performance.now() - t0;
report({
  phase: 'timeout',
  code: error?.code,
  message: error?.message,
  elapsedMs,
  worstGapMs,
  worstGapAt,
  ticks,
  busy,
  busyClose,
  queued: await queued,
});

const refused = {
  attachSync: codeOf(() => eal.attachSync('net_null1')),
  attach: await codeOfAsync(eal.attach('net_null1')),
  detach: await codeOfAsync(eal.detach(ring, { force: true })),
  detachDevice: await codeOfAsync(eal.detachDevice('net_ring0', { force: true })),
  // Answered from the SDK's table: no DPDK call.
  ports: codeOf(() => eal.ports()),
  stop: codeOf(() => eal.stop(ring)),
  cleanup: codeOf(() => eal.cleanup()),
};
let wedgedMessage;
try {
  eal.stop(ring);
} catch (e) {
  wedgedMessage = e.message;
}
const sent = eal.txBurst(ring, [frame]);
const received = eal.rxBurst(ring).length;
report({ phase: 'wedged', refused, wedgedMessage, stuck: eal.stuckCall, traffic: { sent, received } });

if (scenario === 'late') {
  // The parent feeds the FIFO now: DPDK's probe returns, long after its timeout.
  const [late] = await once(eal, 'late');
  await new Promise((r) => setImmediate(r));
  const ports = eal.ports().map((p) => ({ id: p.id, device: p.device, state: p.state }));
  const pcap = late.ports[0];
  eal.close(pcap);
  const detached = await eal.detach(pcap);
  eal.stop(ring);
  eal.close(ring);
  await eal.detach(ring);
  const cleanupErrors = eal.cleanup().map((e) => e.message);
  await new Promise((r) => setImmediate(r));
  report({ phase: 'late', late, ports, detached, cleanupErrors, events: events.map((e) => e.name) });
}
clearInterval(interval);
report({ phase: 'exiting' });
process.exit(0);
