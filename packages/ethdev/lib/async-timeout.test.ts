/**
 * Calls that cannot hang the process: an async attach that DPDK never finishes rejects with
 * TIMEOUT on time, the event loop keeps running, control calls are refused while the probe is
 * stuck (EAL_WEDGED), the data path of other ports goes on, and the process still exits; a probe
 * that returns after its timeout is taken in (the port is in the table, `late` and `attach`
 * fire) and the EAL works again. Each scenario runs in a child process (hang-child.mjs): DPDK
 * really hangs there, on a worker thread that nothing can stop, so never in a vitest worker.
 */

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeDirFor } from './runtime-dir.js';
import { pcapHeader } from './testing.js';

const CHILD = fileURLToPath(new URL('./test-support/hang-child.mjs', import.meta.url));
const TIMEOUT_MS = 1000;
/** How late the TIMEOUT rejection may come: the timer runs on an event loop that is free. */
const MARGIN_MS = 250;
/** How long the child has to exit once it calls process.exit. */
const EXIT_MS = 3000;
let root: string;

type Report = Record<string, unknown> & { phase: string };

interface Run {
  reports: Map<string, Report>;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child did not exit by itself and was killed. */
  killed: boolean;
  /** From the "exiting" report to the child's exit. */
  exitMs: number | undefined;
  stderr: string;
}

/** Runs hang-child.mjs; `onReport` may act on a phase (feed the FIFO). Kills a child that hangs. */
function runChild(
  scenario: 'never' | 'late',
  devargs: string,
  onReport: (r: Report) => void = () => {},
): Promise<Run> {
  const prefix = `vitest-${process.pid}-${scenario}`;
  const child = spawn(process.execPath, [CHILD, scenario, prefix, devargs, String(TIMEOUT_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const reports = new Map<string, Report>();
  let out = '';
  let stderr = '';
  let exitingAt: number | undefined;
  let killed = false;
  const kill = () => {
    killed = true;
    child.kill('SIGKILL');
  };
  let guard = setTimeout(kill, 20_000);
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    let nl = out.indexOf('\n');
    while (nl >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      nl = out.indexOf('\n');
      if (!line.startsWith('@@ ')) continue;
      const report = JSON.parse(line.slice(3)) as Report;
      reports.set(report.phase, report);
      if (report.phase === 'exiting') {
        exitingAt = performance.now();
        clearTimeout(guard);
        guard = setTimeout(kill, EXIT_MS);
      }
      onReport(report);
    }
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      rmSync(runtimeDirFor(prefix), { recursive: true, force: true });
      const exitMs = exitingAt === undefined ? undefined : performance.now() - exitingAt;
      resolve({ reports, code, signal, killed, exitMs, stderr });
    }),
  );
}

/** What both scenarios show while the probe is stuck. */
function expectStuck(run: Run, call: string): void {
  const seen = JSON.stringify({ ...run, reports: [...run.reports.values()] });
  const timeout = run.reports.get('timeout');
  expect(timeout, seen).toBeDefined();
  console.log(
    `${call}: TIMEOUT after ${(timeout!.elapsedMs as number).toFixed(1)} ms (timeoutMs ${TIMEOUT_MS}); 1 ms timer: ${timeout!.ticks} ticks, worst gap ${(timeout!.worstGapMs as number).toFixed(2)} ms; exit ${run.exitMs?.toFixed(0)} ms after process.exit`,
  );
  expect(timeout!.code).toBe('TIMEOUT');
  expect(timeout!.message).toContain(call);
  expect(timeout!.message).toMatch(/still running on a worker thread and cannot be interrupted/);
  expect(timeout!.message).toMatch(/may end up attached or not/);
  expect(timeout!.elapsedMs as number).toBeGreaterThanOrEqual(TIMEOUT_MS - 1);
  expect(timeout!.elapsedMs as number).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  // The event loop ran its 1 ms timer all along.
  expect(timeout!.worstGapMs as number).toBeLessThan(50);
  expect(timeout!.ticks as number).toBeGreaterThan(TIMEOUT_MS / 4);
  // While in flight: the sync forms are refused; a call queued behind it is refused once it is stuck.
  expect(timeout!.busy).toBe('BUSY');
  expect(timeout!.busyClose).toBe('BUSY');
  expect(timeout!.queued).toBe('EAL_WEDGED');
  const wedged = run.reports.get('wedged')!;
  expect(wedged.refused).toEqual({
    attachSync: 'EAL_WEDGED',
    attach: 'EAL_WEDGED',
    detach: 'EAL_WEDGED',
    detachDevice: 'EAL_WEDGED',
    ports: 'no error',
    stop: 'EAL_WEDGED',
    cleanup: 'EAL_WEDGED',
  });
  expect(wedged.wedgedMessage).toContain(`${call} timed out after ${TIMEOUT_MS} ms and is still running`);
  expect(wedged.stuck).toMatchObject({ call, timeoutMs: TIMEOUT_MS });
  // The data path of a port attached before goes on.
  expect(wedged.traffic).toEqual({ sent: 1, received: 1 });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dphp-timeout-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

// Retried: on a machine whose two cores other processes load, an idle event loop too can miss its
// 1 ms timer for 100 ms, or its 1 s timer by more than the margin; a blocked one fails every try.
describe('an async attach that DPDK never finishes', { retry: 2 }, () => {
  it('rejects with TIMEOUT on time, the loop keeps running, control calls are refused, and the process exits', async () => {
    // net_virtio_user in server mode blocks in accept() until a vhost-user client connects:
    // no one serves this socket. (A HAZARDOUS_DEVARGS hang, past the SDK's checks.)
    const devargs = `net_virtio_user0,path=${join(mkdtempSync(join(root, 'never-')), 'nobody.sock')},server=1`;
    const run = await runChild('never', devargs);
    expectStuck(run, `rte_dev_probe(${JSON.stringify(devargs)})`);
    expect(run.reports.has('exiting')).toBe(true);
    expect(run.killed, run.stderr).toBe(false);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(run.exitMs!).toBeLessThan(EXIT_MS);
  }, 30_000);
});

describe('an async attach that returns after its timeout', { retry: 2 }, () => {
  it('is taken in: the port joins the table, late and attach fire, and the EAL works again', async () => {
    // libpcap opens a FIFO for reading and blocks until a writer comes: the test is the writer.
    const fifo = join(mkdtempSync(join(root, 'late-')), 'rx.fifo');
    execFileSync('mkfifo', [fifo]);
    const devargs = `net_pcap0,rx_pcap=${fifo}`;
    let fed: Promise<void> | undefined;
    const run = await runChild('late', devargs, (r) => {
      if (r.phase !== 'wedged') return;
      // A pcap file header: the probe returns and succeeds.
      fed = writeFile(fifo, pcapHeader());
    });
    await fed;
    expectStuck(run, `rte_dev_probe(${JSON.stringify(devargs)})`);
    const late = run.reports.get('late');
    expect(late, run.stderr).toBeDefined();
    expect(late!.late).toMatchObject({
      call: `rte_dev_probe(${JSON.stringify(devargs)})`,
      rc: 1,
      outcome: 'net_pcap0 is attached after all, as port 1',
      device: 'net_pcap0',
      ports: [1],
      timeoutMs: TIMEOUT_MS,
    });
    expect((late!.late as { elapsedMs: number }).elapsedMs).toBeGreaterThan(TIMEOUT_MS);
    expect(late!.ports).toEqual([
      { id: 0, device: 'net_ring0', state: 'started' },
      { id: 1, device: 'net_pcap0', state: 'attached' },
    ]);
    expect(late!.detached).toBe('net_pcap0');
    expect(late!.cleanupErrors).toEqual([]);
    // attach (ring, sync) … the late probe's attach and late, then the two detaches.
    expect(late!.events).toEqual(['attach', 'attach', 'late', 'detach', 'detach']);
    expect(run.killed, run.stderr).toBe(false);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
  }, 30_000);
});
