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

let outputGuarded = false;

/**
 * Keeps this process (certify, or Playwright's runner) going when whoever reads its output has
 * gone (a closed pipe: `certify | head`, a CI step's timeout that closes the pipes and sends
 * SIGTERM, as Node's spawnSync does): a write would fail with EPIPE, and Node makes an unhandled
 * stream error fatal, so the runner died before its reporters ended and the run lost
 * results.json and html/. The reports are files; they do not need a reader of the terminal.
 */
export function outliveClosedOutput(): void {
  if (outputGuarded) return;
  outputGuarded = true;
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
}

function stopOwnGroup(): void {
  process.stderr.write('dpdk-hotplug certify is gone: stopping the run\n');
  stopRunNow(process.pid, process.env[LEDGER_ENV] ?? '');
}

/**
 * Stops a run at once: one kill(2) of the runner's process group `pgid` (the caller's own, when the
 * runner calls it), made here before this returns, so a runner that calls it dies in that call and
 * starts nothing after deciding to stop (no worker, no child). First a shell in a session of its
 * own (spawn returns once it has exec'd, after its setsid) that kills the group too — whichever
 * kill comes first takes it all, and the shell's is done before it runs the reaper — then the
 * reaper (run-reaper.ts) undoes what the run's `ledger` lists. Graceful SIGINT lets Playwright go
 * on starting workers for up to 20 s, and a worker that missed it can hang the run.
 */
export function stopRunNow(pgid: number, ledger: string): void {
  const reaper = fileURLToPath(new URL('./run-reaper.js', import.meta.url));
  spawn(
    '/bin/sh',
    [
      '-c',
      'kill -KILL "-$1" 2>/dev/null; exec "$2" "$3" "$4"',
      'reaper',
      String(pgid),
      process.execPath,
      reaper,
      ledger,
    ],
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
    .on('error', () => {}) // no shell (no memory, no pids): the kill below still stops the run
    .unref();
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {} // already gone
}
