// The same lifecycle in its async forms, with a timeout, an AbortSignal and release(). Run:
// node packages/ethdev/examples/async-lifecycle.mjs (as root, after `npm run setup`).
import { Eal, isHotplugError } from '@dpdk-hotplug/ethdev';

const eal = Eal.init({ noHuge: true, noPci: true, memoryMb: 128, noSharedConfig: true, logLevel: 'error' });

// Each step runs its DPDK calls on the SDK's worker thread; the event loop goes on meanwhile.
const port = await eal.attach('net_null0', { timeoutMs: 5000 });
await eal.configureAsync(port, { rxQueues: 1, txQueues: 1 });
await eal.startAsync(port);
const { id, generation, state } = eal.port(port); // a PortInfo is also a handle: { id, generation }
console.log(`port ${id} (generation ${generation}) is ${state}`);

// A call still waiting its turn when its signal aborts is dropped: nothing was done.
const controller = new AbortController();
const stopping = eal.stopAsync(port);
const attaching = eal
  .attach('net_null1', { signal: controller.signal })
  .catch((e) => console.log(`attach: ${isHotplugError(e, 'ABORTED') ? 'ABORTED' : e}`));
controller.abort();
await stopping;
await attaching;
console.log(`ports: ${eal.ports().length}`);

// release: stop, close and detach in one queued turn.
console.log(`released ${await eal.release(port)}`);
await eal[Symbol.asyncDispose](); // waits for queued calls, then cleanup(): `await using eal` in TypeScript
