import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The built package: probeRuntime starts the compiled child that sits beside it in dist.
import { findLeaks, probeRuntime } from '@dpdk-hotplug/pmd-probe';
import { afterAll, describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'dphp-rt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const snap = (o: Partial<Record<string, number>>) => ({
  fds: 10,
  threads: 3,
  rssBytes: 1,
  dpdkHeapBytes: 1000,
  memzones: 5,
  ports: 0,
  netdevs: 2,
  ...o,
});

describe('runtime probe on real DPDK PMDs (child processes)', () => {
  /**
   * Steps: probe net_ring0 (20 cycles with configure/start/stop), net_null0, and a PMD name DPDK
   * does not have.
   * Verify: net_ring detaches cleanly every cycle and names its device; net_null leaks 384 B of
   * DPDK heap per cycle (a finding of the conformance suite too); the unknown PMD cannot attach.
   */
  it('classifies detachable, leaks and attach-failed', async () => {
    const [ring, nul, none] = await Promise.all([
      probeRuntime('net_ring0'),
      probeRuntime('net_null0'),
      probeRuntime('net_nosuchpmd0'),
    ]);
    expect(ring).toMatchObject({ verdict: 'detachable', device: 'net_ring0', cyclesDone: 20, leaks: [] });
    expect(nul).toMatchObject({ verdict: 'leaks', leaks: [{ resource: 'dpdkHeapBytes' }] });
    expect(nul.leaks[0]!.perCycle).toBeCloseTo(384, 0);
    expect(none).toMatchObject({
      verdict: 'attach-failed',
      stage: 'attach',
      cycle: 1,
      code: 'UNKNOWN_DRIVER',
    });
  });

  /**
   * Steps: probe net_memif0, which cannot start without a peer.
   * Verify: the probe goes again with attach and detach only, says so, and finds it detachable.
   */
  it('falls back to attach/detach when the port cannot start here', async () => {
    const memif = await probeRuntime('net_memif0', { cycles: 3 });
    expect(memif.verdict).toBe('detachable');
    expect(memif.reason).toMatch(
      /attach and detach only: configure\/start\/stop failed .*start failed with EPERM/,
    );
  });

  it('rejects bad input before starting anything', async () => {
    await expect(probeRuntime(' ')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(probeRuntime('net_null0', { cycles: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('runtime probe supervision (stand-in children: no shipped PMD crashes or hangs here)', () => {
  /**
   * Steps: a child that announces "detach of cycle 2" and then dies of SIGSEGV; one that
   * announces "attach of cycle 1" and then never returns.
   * The hanging one makes its EAL runtime folder first, as a DPDK child would.
   * Verify: crashed with the signal and the step; hung after the timeout, killed, with the step;
   * the caller survives both; the killed child's runtime folder (the probe's own prefix) is gone.
   */
  it('names the signal or the hang and the step it happened in', async () => {
    const crash = join(work, 'crash.mjs');
    writeFileSync(
      crash,
      `console.log(JSON.stringify({ step: 'detach', cycle: 2 })); process.kill(process.pid, 'SIGSEGV');`,
    );
    const hang = join(work, 'hang.mjs');
    writeFileSync(
      hang,
      `import { mkdirSync, writeFileSync } from 'node:fs';
       const dir = '/var/run/dpdk/' + JSON.parse(process.argv[2]).eal.filePrefix;
       try { mkdirSync(dir, { recursive: true }); writeFileSync(dir + '/config', ''); } catch {}
       writeFileSync(${JSON.stringify(join(work, 'hang-dir'))}, dir);
       console.log(JSON.stringify({ step: 'attach', cycle: 1 })); setInterval(() => {}, 1000);`,
    );
    const crashed = await probeRuntime('net_x0', { childScript: crash });
    expect(crashed).toMatchObject({ verdict: 'crashed', signal: 'SIGSEGV', stage: 'detach', cycle: 2 });
    expect(crashed.reason).toBe('the probe process was killed by SIGSEGV in detach of cycle 2');
    // The timeout runs from the child's start: 300 ms was less than Node's own start-up here at a
    // load average of 20 (the child had not printed its step yet), so 3 s.
    const hung = await probeRuntime('net_x0', { childScript: hang, timeoutMs: 3000 });
    expect(hung).toMatchObject({ verdict: 'hung', stage: 'attach', cycle: 1 });
    expect(hung.reason).toContain('for 3000 ms');
    if (process.getuid?.() === 0) {
      // Only root's DPDK uses /var/run/dpdk (others: XDG_RUNTIME_DIR): the stand-in writes there.
      const hangDir = readFileSync(join(work, 'hang-dir'), 'utf8');
      expect(hangDir).toMatch(/^\/var\/run\/dpdk\/dphp-probe-\d+-\d+$/);
      expect(existsSync(hangDir)).toBe(false);
    }
  });
});

describe('leak finding: the certification’s analysis, so probe and certify agree', () => {
  const series = (n: number, f: (i: number) => Partial<Record<string, number>>) =>
    Array.from({ length: n }, (_, i) => snap(f(i)));

  it('finds a steady growth and ignores a one-off jump', () => {
    expect(findLeaks(series(20, (i) => ({ fds: 10 + i })))).toEqual([{ resource: 'fds', perCycle: 1 }]);
    expect(findLeaks(series(20, (i) => ({ memzones: i === 0 ? 5 : 9 })))).toEqual([]);
  });

  it('judges the series the issue found judged both ways alike, and says nothing on too few cycles', () => {
    // 1 fd every 5 cycles over 50 cycles: a slow but steady leak, for certify's check 7 too.
    expect(findLeaks(series(50, (i) => ({ fds: 10 + Math.floor(i / 5) }))).map((l) => l.resource)).toEqual([
      'fds',
    ]);
    // 16 B per cycle over 5 cycles: below what any run can tell from allocator noise.
    expect(findLeaks(series(5, (i) => ({ dpdkHeapBytes: 1000 + 16 * i })))).toEqual([]);
    expect(findLeaks(series(2, (i) => ({ fds: 1 + i })))).toEqual([]);
  });
});
