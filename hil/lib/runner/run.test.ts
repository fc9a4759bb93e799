import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { afterAll, describe, expect, it } from 'vitest';
import { labProcess } from '../test-support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-lab-run-pci-'));
afterAll(() => rmSync(work, { recursive: true, force: true, maxRetries: 3 }));
let dpdk = false;
try {
  findDpdk();
  dpdk = true;
} catch {}

describe('lab run with PCI DUTs', () => {
  /**
   * Steps: `lab run` of a runner with a PCI NIC removed by QEMU (at an address no device has
   * here: nothing is touched), with --workers 2, --devargs-budget 64 and --sysfs /sys.
   * Verify: certify's plan names the runner's lab (hil's pci-lab.js), one worker and the devargs
   * policy given; the PCI
   * DUT is a lab DUT (pci.unplug clean); whatever this machine lacks for it makes it
   * INCONCLUSIVE, not run, with the reason, never FAILED.
   */
  it.skipIf(!dpdk)(
    "names the runner's lab for its PCI checks, one DUT at a time",
    async () => {
      const inventory = join(work, 'lab.yaml');
      writeFileSync(
        inventory,
        `version: 1\nrunners:\n  - name: r1\n    duts:\n      - pci: 0000:7f:1f.7\n        model: e1000e\n        pmd: net_e1000_em\n        ids: 8086:10d3\n        driver: vfio-pci\n        kernelDriver: e1000e\n        traffic: none\n        removal: qemu\n`,
      );
      const out = join(work, 'r1');
      const r = await labProcess([
        'run',
        '--inventory',
        inventory,
        '--runner',
        'r1',
        '--out',
        out,
        '--cycles',
        '5',
        '--budget',
        '1',
        '--workers',
        '2',
        '--devargs-budget',
        '64',
        '--sysfs',
        '/sys',
      ]);
      const plan = JSON.parse(readFileSync(join(out, 'certify', 'plan.json'), 'utf8'));
      // certify's devargs policy, passed on (the launcher gives it to the suite's workers).
      expect(plan).toMatchObject({ devargsBudgetMb: 64, sysfs: '/sys' });
      expect(plan.pciLab).toEqual({ module: expect.stringMatching(/hil\/dist\/runner\/pci-lab\.js$/) });
      expect(plan.workers).toBe(1);
      const summary = JSON.parse(readFileSync(join(out, 'certify', 'summary.json'), 'utf8'));
      const pci = summary.duts.find((d: { name: string }) => d.name === 'r1-0000-7f-1f-7');
      expect(pci.pci).toMatchObject({ removal: 'qemu', unplug: 'clean' });
      expect(pci.verdict, r.out.slice(-2000)).toBe('INCONCLUSIVE');
      expect(pci.verdictReasons.join('\n')).toMatch(/^not run: /);
    },
    300_000,
  );
});
