import type { Socket } from 'node:net';

/** Set by `dpdk-hotplug certify` for the Playwright runner it starts: its stdin is a pipe from certify. */
export const PARENT_PIPE_ENV = 'DPDK_HOTPLUG_PARENT_PIPE';

/** How long the runner's process group gets to stop on SIGINT before it is killed. */
export const PARENT_GONE_GRACE_MS = 5000;

/**
 * In Playwright's runner process, started by `dpdk-hotplug certify` in a process group of its
 * own: when certify is gone — killed, even by SIGKILL, its end of our stdin closes — the run
 * stops. SIGINT to the whole group first (Playwright stops, its global teardown gives back what
 * the run took), SIGKILL to the group after PARENT_GONE_GRACE_MS. Does nothing when the runner
 * was not started that way (Playwright run by hand).
 */
export function watchParent(onGone: () => void = stopOwnGroup): void {
  if (process.env[PARENT_PIPE_ENV] !== '1') return;
  const stdin = process.stdin as Socket;
  let fired = false;
  const gone = () => {
    if (fired) return;
    fired = true;
    onGone();
  };
  stdin.on('data', () => {});
  stdin.on('end', gone);
  stdin.on('close', gone);
  stdin.on('error', gone);
  stdin.resume();
  // Watching must not keep the runner alive once its work is done.
  stdin.unref?.();
}

function stopOwnGroup(): void {
  process.stderr.write('dpdk-hotplug certify is gone: stopping the run\n');
  const group = -process.pid; // the runner leads its group (spawned detached)
  try {
    process.kill(group, 'SIGINT');
  } catch {}
  setTimeout(() => {
    try {
      process.kill(group, 'SIGKILL');
    } catch {}
  }, PARENT_GONE_GRACE_MS);
}
