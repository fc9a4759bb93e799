import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { afterAll, describe, expect, it } from 'vitest';
import { labProcess } from '../test-support/cli.js';
import { labMerge } from './merge.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-lab-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true, maxRetries: 3 }));
const inventory = join(import.meta.dirname, '..', '..', 'inventory', 'vdev-lab.yaml');
const root = process.getuid?.() === 0;
let dpdk = false;
try {
  findDpdk();
  dpdk = true;
} catch {}

const lab = (args: string[]) => labProcess(args);

describe('lab run on two runners side by side, then lab merge', () => {
  /**
   * Steps: two `lab run` processes at once, one per runner of hil/inventory/vdev-lab.yaml (3
   * vdev DUTs each, 20 cycles), then `lab merge` of both folders.
   * Verify: one certification of the 6 DUTs, each with its runner and machine; the verdicts the
   * suite gives these PMDs on their own (net_null FAILED for its heap leak, net_ring and
   * net_pcap CERTIFIED WITH WARNINGS); one HTML report and a JUnit file with both runners' tests.
   */
  it.skipIf(!root || !dpdk)(
    'certifies both runners and merges them into one certification',
    async () => {
      const common = ['--inventory', inventory, '--cycles', '20', '--budget', '2', '--workers', '2'];
      const [a, b] = await Promise.all([
        lab(['run', ...common, '--runner', 'vdev-a', '--out', join(work, 'a')]),
        lab(['run', ...common, '--runner', 'vdev-b', '--out', join(work, 'b')]),
      ]);
      expect(a.code, a.out.slice(-2000)).toBe(1); // net_null's leak
      expect(b.code, b.out.slice(-2000)).toBe(1);
      const out = join(work, 'merged');
      const merged = await labMerge([join(work, 'a'), join(work, 'b')], out);
      const verdicts = Object.fromEntries(
        merged.summary.duts.map((d) => [d.name, `${d.runner} ${d.verdict}`]),
      );
      expect(verdicts).toEqual({
        'vdev-a-net_null0': 'vdev-a FAILED',
        'vdev-a-net_ring0': 'vdev-a CERTIFIED WITH WARNINGS',
        'a-pcap': 'vdev-a CERTIFIED WITH WARNINGS',
        'vdev-b-net_null0': 'vdev-b FAILED',
        'vdev-b-net_ring0': 'vdev-b CERTIFIED WITH WARNINGS',
        'b-pcap': 'vdev-b CERTIFIED WITH WARNINGS',
      });
      expect(merged.summary.duts.every((d) => d.machine?.dpdk === findDpdk().version)).toBe(true);
      expect(merged.summary.runners.map((r) => r.ended)).toEqual(['finished', 'finished']);
      expect(merged.playwright).toEqual({ blobs: 2, code: 0 });
      expect(existsSync(join(out, 'html', 'index.html'))).toBe(true);
      const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
      for (const name of Object.keys(verdicts)) expect(junit).toContain(name);
    },
    400_000,
  );
});
