import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built module: the parent below is a plain node process.
const guardModule = fileURLToPath(new URL('../../dist/virtual/guard.js', import.meta.url));

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A parent that starts `sleep 300` under a guard (as the lab starts QEMU) and prints its pid. */
function parentWithGuardedChild(release: boolean) {
  const script = `
    import { spawn } from 'node:child_process';
    import { guardChild } from ${JSON.stringify(guardModule)};
    const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    const guard = guardChild(child.pid, 'sleep');
    if (${release}) { child.on('exit', () => guard.release()); child.kill('SIGTERM'); }
    process.stdout.write(child.pid + '\\n'); // not console.log: FORCE_COLOR would colour the number
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = new Promise<number>((resolve) =>
    parent.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
  );
  return { parent, pid };
}

describe('the guard of a child process (QEMU in the lab)', () => {
  /**
   * Steps: a parent starts `sleep 300` under a guard; kill -9 the parent.
   * Verify: the sleep is gone within 5 s.
   */
  it('kills the child when the parent dies by SIGKILL', async () => {
    const { parent, pid } = parentWithGuardedChild(false);
    const child = await pid;
    try {
      expect(Number.isInteger(child)).toBe(true);
      expect(alive(child)).toBe(true);
      parent.kill('SIGKILL');
      for (const deadline = Date.now() + 5000; alive(child) && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 50));
      expect(alive(child)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
      if (Number.isInteger(child) && alive(child)) process.kill(child, 'SIGKILL');
    }
  });

  it('a released guard leaves and the parent is not kept alive by it', async () => {
    const { parent, pid } = parentWithGuardedChild(true);
    await pid;
    parent.kill('SIGKILL');
    await new Promise((r) => parent.once('exit', r));
  });
});
