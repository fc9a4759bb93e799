// The driver against this host's dpdk-testpmd: answers typed, a hang and a crash named, and
// only its own process killed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hugepageLab } from '../common/hugepages.js';
import { Testpmd, TestpmdGone } from './testpmd.js';

const hasTestpmd = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v dpdk-testpmd'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const alive = (pid: number) => existsSync(`/proc/${pid}`);
let n = 0;
const prefix = () => `oracle-test-${process.pid}-${++n}`;
// The driver removes its runtime folder when testpmd exits.
const done = (p: string) => expect(existsSync(`/var/run/dpdk/${p}`)).toBe(false);

describe.skipIf(!hasTestpmd)('Testpmd driver (real dpdk-testpmd)', () => {
  it('attaches, reads info, refuses a started detach, detaches and quits', async () => {
    const p = prefix();
    const tp = await Testpmd.start({ filePrefix: p });
    try {
      expect((await tp.run('port attach net_null0')).answer).toMatchObject({ kind: 'attached', ports: [0] });
      expect((await tp.run('show port info 0')).answer).toMatchObject({
        name: 'net_null0',
        driver: 'net_null',
      });
      await tp.run('port start 0');
      expect((await tp.run('port detach 0')).answer).toMatchObject({ refusal: 'port-not-stopped' });
      await tp.run('port stop 0');
      await tp.run('port close 0');
      expect((await tp.run('device detach net_null0')).answer).toMatchObject({
        device: 'net_null0',
        total: 0,
      });
    } finally {
      await tp.close();
      done(p);
    }
    expect(alive(tp.pid!)).toBe(false);
  });

  it('names a hang and kills its own process', async () => {
    const p = prefix();
    const tp = await Testpmd.start({ filePrefix: p });
    // No command answers in 0 ms: the driver must give up, say so, and kill testpmd.
    const e = await tp.run('port attach net_null0', 0).catch((x) => x);
    expect(e).toBeInstanceOf(TestpmdGone);
    expect(e).toMatchObject({ how: 'hung', command: 'port attach net_null0' });
    // What it was doing when it was killed: its threads, the main one first (named by testpmd).
    expect((e as TestpmdGone).detail).toMatch(/its threads: dpdk-testpmd [RSD]/);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(tp.pid!)).toBe(false);
    done(p);
  });

  it('names a crash with its signal, the command and the transcript', async () => {
    const p = prefix();
    const tp = await Testpmd.start({ filePrefix: p });
    await tp.run('port attach net_null0');
    process.kill(tp.pid!, 'SIGSEGV');
    const e = await tp.run('show port info 0').catch((x) => x);
    expect(e).toMatchObject({ how: 'crashed', detail: 'SIGSEGV', command: 'show port info 0' });
    expect((e as TestpmdGone).transcript).toContain('Port 0 is attached');
    done(p);
  });

  // The PCI instance (as in the virtual lab's guest): hugepages in memory, the PCI bus on and an
  // allowlist that probes nothing. Here on the host with a vdev: no NIC is probed or touched.
  it('runs a PCI instance on hugepages without probing a device at start', async (ctx) => {
    const huge = await hugepageLab(40);
    if ('unavailable' in huge) return ctx.skip();
    const p = prefix();
    try {
      const tp = await Testpmd.start({ filePrefix: p, instance: { kind: 'pci', iovaMode: 'pa' } });
      try {
        // On this host no NIC is bound to a DPDK driver, so this cannot fail here: the allowlist
        // is proven in the virtual lab, where the DUT is bound when testpmd starts and check 112's
        // `port attach` of it would be refused had the start probed it.
        expect(tp.transcript).not.toMatch(/Probe PCI driver/);
        expect((await tp.run('port attach net_null0')).answer).toMatchObject({
          kind: 'attached',
          ports: [0],
        });
      } finally {
        await tp.close();
        done(p);
      }
    } finally {
      await huge.undo();
    }
  });
});
