import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from '@dpdk-hotplug/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { main, mergeInto } from './cli.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-hil-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const dut = (name: string, verdict: 'CERTIFIED' | 'FAILED') => ({
  name,
  pmd: 'net_x',
  devargs: name,
  dpdkVersion: 'DPDK 22.11',
  checks: [],
  verdict,
});

describe('dpdk-hotplug lab', () => {
  it('rejects unknown models, drivers and commands before booting anything', async () => {
    const model = await cli(['virtual', '--models', 'rtl8139']);
    expect(model.code).toBe(2);
    expect(model.err).toContain('unknown NIC model: rtl8139');
    expect((await cli(['virtual', '--drivers', 'nvme'])).err).toContain('unknown driver: nvme');
    expect((await cli(['virtual', '--cycles', '0'])).code).toBe(2);
    expect((await cli(['reboot'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  /**
   * Steps: merge a lab summary into a conformance summary that has a vdev DUT and an older run
   * of the same lab DUT.
   * Verify: the vdev DUT is kept, the lab DUT replaced, and summary.md written beside it.
   */
  it('merges lab results into the certification summary', () => {
    const path = join(work, 'summary.json');
    const base: RunSummary = {
      startedAt: 'a',
      status: 'passed',
      checksPlanned: 15,
      duts: [dut('net_ring', 'CERTIFIED'), dut('virtual-e1000-vfio-pci-clean', 'FAILED')],
    };
    writeFileSync(path, JSON.stringify(base));
    const lab: RunSummary = {
      startedAt: 'b',
      status: 'passed',
      checksPlanned: 9,
      duts: [dut('virtual-e1000-vfio-pci-clean', 'CERTIFIED')],
    };
    const merged = mergeInto(path, lab);
    expect(merged.duts.map((d) => `${d.name} ${d.verdict}`)).toEqual([
      'net_ring CERTIFIED',
      'virtual-e1000-vfio-pci-clean CERTIFIED',
    ]);
    expect(merged.checksPlanned).toBe(15);
    expect(readFileSync(join(work, 'summary.md'), 'utf8')).toContain('virtual-e1000-vfio-pci-clean');
  });
});
