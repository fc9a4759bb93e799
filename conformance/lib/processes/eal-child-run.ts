/**
 * A child process of the suite's own that runs an EAL (check 13's start-up child, the pool
 * control's child) and prints one JSON line last: run without blocking the worker's event loop
 * (the hang guard's timer keeps firing), killed after a timeout, its runtime folder removed after
 * (a child that died cannot remove it; it is ours, named by the prefix stem and its pid).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runtimeFolder } from '../common/ledger.js';

export interface EalChildResult<T> {
  /** The last line of its stdout, parsed; undefined when it is not JSON. */
  said: T | undefined;
  status: number | null;
  signal: NodeJS.Signals | null;
  /** Its stderr's last line, for a child that said nothing. */
  lastError: string;
}

/** Runs `dist/processes/<script>` with `args`; `prefixStem` is the child's `--file-prefix` less `-<pid>`. */
export function runEalChild<T>(
  script: string,
  args: readonly string[],
  prefixStem: string,
  timeoutMs = 30_000,
): Promise<EalChildResult<T>> {
  const file = fileURLToPath(new URL(`../../dist/processes/${script}`, import.meta.url));
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const runtime = child.pid ? runtimeFolder(`${prefixStem}-${child.pid}`) : undefined;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done) => {
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      runtime?.remove();
      let said: T | undefined;
      try {
        said = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
      } catch {
        said = undefined;
      }
      done({ said, status, signal, lastError: stderr.trim().split('\n').at(-1) ?? '' });
    });
  });
}
