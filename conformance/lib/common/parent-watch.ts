import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LEDGER_ENV } from './ledger.js';

/** Set by `dpdk-hotplug certify` for the Playwright runner it starts: its stdin is a pipe from certify. */
export const PARENT_PIPE_ENV = 'DPDK_HOTPLUG_PARENT_PIPE';

/**
 * In Playwright's runner process, started by `dpdk-hotplug certify` in a process group of its
 * own: when certify is gone — killed, even by SIGKILL, its end of our stdin closes — the whole
 * run stops at once (stopOwnGroup). Does nothing when the runner was not started that way
 * (Playwright run by hand).
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
  stopRunNow(process.pid, process.env[LEDGER_ENV] ?? '');
}

/**
 * Stops a run at once: one kill(2) of the runner's process group `pgid` (the caller's own, when the
 * runner calls it) from a shell in a session of its own, so no worker or child can start after it;
 * then the reaper (run-reaper.ts) undoes what the run's `ledger` lists. Graceful SIGINT lets
 * Playwright go on starting workers for up to 20 s, and a worker that missed it can hang the run.
 */
export function stopRunNow(pgid: number, ledger: string): void {
  const reaper = fileURLToPath(new URL('./run-reaper.js', import.meta.url));
  spawn(
    '/bin/sh',
    ['-c', 'kill -KILL "-$1"; exec "$2" "$3" "$4"', 'reaper', String(pgid), process.execPath, reaper, ledger],
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  ).unref();
}
