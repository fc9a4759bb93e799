import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readHangMarker } from './watchdog.js';

const watchdog = new URL('../../dist/common/watchdog.js', import.meta.url).pathname;
let dir: string;
let marker: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dphp-watchdog-'));
  marker = join(dir, 'hang.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` in a child process that has a Watchdog `w` writing to `marker`. */
function child(body: string) {
  const script = `import { Watchdog } from ${JSON.stringify(watchdog)};
    const w = new Watchdog(${JSON.stringify(marker)});
    ${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
}

const block = (ms: number) => `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});`;

it('kills a process whose armed step hangs, and leaves a marker naming the step', () => {
  // Steps: a child arms 300 ms for "check 6", then blocks its JS thread for 10 s.
  // Verify: it dies by SIGKILL well before 10 s, and the marker names the step.
  const started = Date.now();
  const r = child(`w.arm('6. repeated cycles', 300); ${block(10_000)}`);
  expect(r.signal).toBe('SIGKILL');
  expect(Date.now() - started).toBeLessThan(5000);
  expect(readHangMarker(marker)).toMatchObject({ hung: '6. repeated cycles', timeoutMs: 300 });
});

it('lets a disarmed step take its time', () => {
  const r = child(`w.arm('quick', 200); w.disarm(); ${block(600)} await w.stop();`);
  expect(r.status).toBe(0);
  expect(readHangMarker(marker)).toBeUndefined();
});

it('gives an armed step more time when a fixture allows it, and never less', () => {
  // Steps: arm 300 ms, then allow at least 1500 ms (a fixture's own longer timeout), block
  // 800 ms, stop; then arm 1500 ms, allow 50 ms (shorter), block 800 ms, stop.
  // Verify: the first lives past its original 300 ms; the second keeps its 1500 ms and lives.
  const r = child(`w.arm('pciLab', 300); w.allowAtLeast(1500); ${block(800)} await w.stop();`);
  expect(r.status).toBe(0);
  expect(readHangMarker(marker)).toBeUndefined();
  const s = child(`w.arm('7. leaks', 1500); w.allowAtLeast(50); ${block(800)} await w.stop();`);
  expect(s.status).toBe(0);
  expect(readHangMarker(marker)).toBeUndefined();
});

it("gives the step its own deadline back when the fixture's setup ends", () => {
  // Steps: arm 600 ms, allow at least 1500 ms (a setup), block 900 ms (past the 600 ms), end the
  // setup, then block 200 ms (the step's own time, under the 600 ms it had left), stop; again,
  // but block 2000 ms after the setup. Verify: the first lives; the second is killed as a hang
  // of the step with its own 600 ms (kept, the marker would say 2100 ms).
  const r = child(
    `w.arm('101. plug', 600); const end = w.allowAtLeast(1500); ${block(900)} end(); ${block(200)} await w.stop();`,
  );
  expect(r.status, r.stderr).toBe(0);
  expect(readHangMarker(marker)).toBeUndefined();
  const s = child(
    `w.arm('101. plug', 600); const end = w.allowAtLeast(1500); end(); ${block(2000)} await w.stop();`,
  );
  expect(s.signal).toBe('SIGKILL');
  expect(readHangMarker(marker)).toMatchObject({ hung: '101. plug', timeoutMs: 600 });
});

it('allows nothing while disarmed', () => {
  // Steps: allowAtLeast without an armed step, then block. Verify: no kill, no marker.
  const r = child(`w.allowAtLeast(200); ${block(600)} await w.stop();`);
  expect(r.status).toBe(0);
  expect(readHangMarker(marker)).toBeUndefined();
});
