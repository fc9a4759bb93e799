// An application error while an SDK call is on a worker thread, in a child process of
// exit-guard.test.ts: the call is a probe that DPDK never finishes (virtio-user's server mode
// waits for a client), so the SDK's exit guard must end the process itself, and the error must
// still print. `after-async` and `after-async-exit`: an async attach, close and detach that return,
// then the process ends by itself or with process.exit: the idle worker (asleep in a system
// call, see off-thread.ts) must not hold it. Usage: node fatal-child.mjs
// throw|reject|reject-value|idle|after-async|after-async-exit FILE_PREFIX SOCKET
import { attachUncheckedForTests } from '../../dist/eal.js';
import { startChildEal } from './child-eal.mjs';

const [mode, prefix, socket] = process.argv.slice(2);
const eal = startChildEal(prefix);
if (mode.startsWith('after-async')) {
  const port = await eal.attach('net_null0');
  await eal.closeAsync(port);
  await eal.detach(port);
  eal.cleanup();
  process.stdout.write('@@ done\n');
  if (mode === 'after-async-exit') process.exit(0);
} else if (mode !== 'idle') {
  // Never settles: the probe never returns and the timeout is an hour.
  attachUncheckedForTests(eal, `net_virtio_user0,path=${socket},server=1`, { timeoutMs: 3_600_000 }).catch(
    () => {},
  );
}
if (!mode.startsWith('after-async'))
  setTimeout(() => {
    process.stdout.write('@@ failing\n');
    if (mode === 'throw' || mode === 'idle') throw new Error('application bug (thrown)');
    if (mode === 'reject') Promise.reject(new Error('application bug (rejected)'));
    if (mode === 'reject-value') Promise.reject('a plain string');
  }, 200);
