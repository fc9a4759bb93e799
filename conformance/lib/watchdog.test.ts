import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readHangMarker } from './watchdog.js';

it('kills a process whose armed step hangs, and leaves a marker naming the step', () => {
  // Steps: a child arms 300 ms for "check 6", then blocks its JS thread for 10 s.
  // Verify: it dies by SIGKILL well before 10 s, and the marker names the step.
  const dir = mkdtempSync(join(tmpdir(), 'dphp-watchdog-'));
  try {
    const marker = join(dir, 'hang.json');
    const child = `
      import { Watchdog } from ${JSON.stringify(new URL('../dist/watchdog.js', import.meta.url).pathname)};
      const w = new Watchdog(${JSON.stringify(marker)});
      w.arm('6. repeated cycles', 300);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);`;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8' });
    expect(r.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(readHangMarker(marker)).toMatchObject({ hung: '6. repeated cycles', timeoutMs: 300 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('lets a disarmed step take its time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dphp-watchdog-'));
  try {
    const marker = join(dir, 'hang.json');
    const child = `
      import { Watchdog } from ${JSON.stringify(new URL('../dist/watchdog.js', import.meta.url).pathname)};
      const w = new Watchdog(${JSON.stringify(marker)});
      w.arm('quick', 200);
      w.disarm();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
      await w.stop();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readHangMarker(marker)).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
