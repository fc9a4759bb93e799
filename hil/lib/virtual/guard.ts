import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

// The guard: a tiny process of its own (own process group, so a Ctrl-C meant for the lab does not
// end it first) whose stdin is a pipe from the lab. EOF on it means the lab is gone, however it
// ended, SIGKILL included: it then kills the guarded process if that is still the same program
// (its command line names it; a recycled pid is left alone).
const GUARD = `
const [pid, name] = process.argv.slice(1);
const { readFileSync } = require('node:fs');
for (const s of ['SIGINT', 'SIGHUP']) process.on(s, () => {});
const end = () => {
  try {
    if (readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(name)) process.kill(Number(pid), 'SIGKILL');
  } catch {}
  process.exit(0);
};
process.stdin.on('data', () => {});
process.stdin.on('end', end);
process.stdin.on('error', end);
process.stdin.resume();
`;

export interface Guard {
  /** The guarded process ended normally: the guard goes, killing nothing. */
  release(): void;
}

/**
 * Kills `pid` (a child of this process whose command line contains `name`) if this process dies
 * without ending it first, even by SIGKILL, when no handler of ours can run. Neither the guard
 * nor its pipe keeps this process alive.
 */
export function guardChild(pid: number, name: string): Guard {
  const guard: ChildProcess = spawn(process.execPath, ['-e', GUARD, String(pid), name], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  guard.unref();
  (guard.stdin as Socket | null)?.unref();
  return {
    release: () => {
      if (guard.exitCode === null && guard.signalCode === null) guard.kill('SIGKILL');
      guard.stdin?.destroy();
    },
  };
}
