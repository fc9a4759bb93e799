/**
 * What the DUT's detaches left behind in the worker: what the process holds after a failed check
 * (its teardown done) that it did not before the DUT's first attach — memzones by name, sockets,
 * files and devices, network interfaces, threads — as one evidence line. It says why a re-attach
 * fails (net_memif's kept listener socket, net_softnic's 200+ memzones of rings).
 */
import { describeHeld, type HeldResources, leftBehind, WORKER_THREAD_NAME } from '@dpdk-hotplug/ethdev';

/**
 * Node's own event loops (a worker thread's epoll, eventfds, pipes) come and go with the SDK's
 * async calls; they are no PMD's, nor is the SDK's worker thread, started by the first async
 * call. A thread counts only by a name the process did not have.
 */
const NODE_OWN_FD = /^(pipe:|anon_inode:\[(eventpoll|eventfd|timerfd|signalfd)\])/;

/** What is held in `now` and was not in `before` (Node's own left out), said; '' when nothing. */
export function leftBehindSaid(before: HeldResources, now: HeldResources): string {
  const left = leftBehind(before, now);
  left.fds = left.fds.filter((f) => !NODE_OWN_FD.test(f));
  left.threads = [...new Set(left.threads)].filter(
    (t) => !before.threads.includes(t) && t !== WORKER_THREAD_NAME,
  );
  return describeHeld(left);
}

/** The evidence line, or undefined when nothing was left behind. */
export function leftBehindEvidence(before: HeldResources, now: HeldResources): string | undefined {
  const said = leftBehindSaid(before, now);
  return said
    ? `held after the DUT's detach, not before its first attach in this process: ${said}`
    : undefined;
}
