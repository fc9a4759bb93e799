// attach → configure → start → traffic → stop → close → detach, on a net_ring vdev that loops
// packets back. Run: node packages/ethdev/examples/attach-traffic-detach.mjs (as root, after `npm run setup`).
import { Eal, isHotplugError } from '@dpdk-hotplug/ethdev';

const eal = Eal.init({ noHuge: true, noPci: true, memoryMb: 128, noSharedConfig: true, logLevel: 'error' });
eal.on('attach', (e) => console.log(`attached ${e.device} as port ${e.port}`));
eal.on('detach', (e) => console.log(`detached ${e.device}`));

const port = await eal.attach('net_ring0');
eal.configure(port, { rxQueues: 1, txQueues: 1 });
eal.start(port);

const frame = Buffer.alloc(64);
frame.write('ffffffffffff' + '020000000001' + '0800', 'hex');
console.log(`sent ${eal.txBurst(port, [frame, frame])}, received ${eal.rxBurst(port).length}`);

try {
  await eal.detach(port); // refused: the port is started
} catch (e) {
  if (isHotplugError(e, 'PORT_STARTED')) console.log(`refused: ${e.message}`);
}
eal.stop(port);
eal.close(port);
console.log(`detach returned ${await eal.detach(port)}`);
eal.cleanup();
