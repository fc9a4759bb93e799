/**
 * The SDK's exit guard (control-queue.ts) ends the process with `_exit` while a DPDK call is on a
 * worker thread (Node's own exit would wait for it, forever for a stuck one). It must never hide
 * the application's own error: an uncaught exception or unhandled rejection while a call is in
 * flight prints as Node prints it, and the exit code is Node's. Each case runs in a child
 * (fatal-child.mjs) whose probe never returns; an idle child (no call in flight) is Node's own
 * behaviour, the reference.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./test-support/fatal-child.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'dphp-fatal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function runChild(
  mode: string,
): Promise<{ code: number | null; stderr: string; stdout: string; killed: boolean }> {
  const child = spawn(
    process.execPath,
    [CHILD, mode, `vitest-${process.pid}-${mode}`, join(root, `${mode}.sock`)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  let killed = false;
  const guard = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, 15_000);
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr, stdout, killed });
    }),
  );
}

describe('an application error while an SDK call is on a worker thread', () => {
  it("is printed as Node prints it, with Node's exit code, and the process ends (reference: no call in flight)", async () => {
    const [idle, thrown] = await Promise.all([runChild('idle'), runChild('throw')]);
    expect(idle.code).toBe(1);
    expect(idle.stderr).toContain('Error: application bug (thrown)');
    expect(thrown).toMatchObject({ code: 1, killed: false });
    expect(thrown.stdout).toContain('@@ failing');
    expect(thrown.stderr).toContain('Error: application bug (thrown)');
    // The stack and Node's closing line, as in the reference.
    expect(thrown.stderr).toMatch(/\n {4}at .*fatal-child\.mjs/);
    expect(thrown.stderr).toContain(`Node.js ${process.version}`);
  }, 30_000);

  it('prints an unhandled rejection (an Error, or a value Node wraps) and exits 1, as Node 20 does', async () => {
    const [rejected, value] = await Promise.all([runChild('reject'), runChild('reject-value')]);
    expect(rejected).toMatchObject({ code: 1, killed: false });
    expect(rejected.stderr).toContain('Error: application bug (rejected)');
    expect(value).toMatchObject({ code: 1, killed: false });
    expect(value.stderr).toContain('a plain string');
    expect(value.stderr).toContain('ERR_UNHANDLED_REJECTION');
  }, 30_000);
});

describe('after async calls that returned', () => {
  // The idle worker sleeps in a futex system call, which Node's exit cannot interrupt: it leaves
  // it within 10 ms for Atomics.wait, which it can. Held, the child would be killed at 15 s.
  it('the process ends by itself, or with process.exit, with code 0', async () => {
    const [natural, exited] = await Promise.all([runChild('after-async'), runChild('after-async-exit')]);
    for (const r of [natural, exited]) {
      expect(r).toMatchObject({ code: 0, killed: false });
      expect(r.stdout).toContain('@@ done');
    }
  }, 30_000);
});
