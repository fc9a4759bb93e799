import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTitle, PCI_CHECK_SPECS, type PciCheckId } from '../model/catalogue.js';
import type { Dut } from '../model/dut.js';
import { loadPciLab, PciLabError, pciGroups, pciProject } from './pci-lab.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-pci-lab-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const labDut = (name: string, driver: string, unplug: 'clean' | 'surprise'): Dut =>
  ({ name, pmd: 'net_e1000_em', pci: { model: 'e1000e', driver, kernelDriver: 'e1000e', unplug } }) as Dut;

describe('PCI projects', () => {
  /**
   * Steps: the project settings of a clean and a surprise DUT, against every PCI check's title
   * in each DUT's describe.
   * Verify: clean selects 101–109 and 112, surprise 101–104, 110, 111, 106, 112, 108, 109, each
   * only in its own DUT's describe; nothing else (no vdev check, no 1010).
   */
  it("select exactly the checks each DUT's removal plans, in its own describe", () => {
    const ids = Object.keys(PCI_CHECK_SPECS).map(Number) as PciCheckId[];
    const duts = [labDut('a', 'uio_pci_generic', 'clean'), labDut('x a', 'igb_uio', 'surprise')];
    const { grep, testMatch } = pciProject(duts);
    const picked = (name: string) =>
      ids.filter((id) => grep.some((g) => g.test(`pci-iova-pa pci.spec.ts ${name} ${checkTitle(id)}`)));
    expect(picked('a')).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 112]);
    expect(picked('x a')).toEqual([101, 102, 103, 104, 106, 108, 109, 110, 111, 112]);
    expect(picked('b')).toEqual([]);
    expect(grep.some((g) => g.test(`p pci.spec.ts a ${checkTitle(1)}`))).toBe(false);
    expect(grep.some((g) => g.test('p pci.spec.ts a 1010. not a check'))).toBe(false);
    expect(testMatch).toBe('pci.spec.ts');
    // The compiled config (an installed suite) runs the compiled spec.
    expect(pciProject(duts, '.js').testMatch).toBe('pci.spec.js');
  });

  /**
   * Steps: group lab DUTs of both IOVA modes with a vdev DUT among them.
   * Verify: one group per IOVA mode in the run's order (the UIO drivers PA, vfio-pci VA), a
   * group of one named after its DUT, the vdev DUT in none.
   */
  it('groups the lab DUTs that can share an EAL, one group per IOVA mode', () => {
    const a = labDut('a', 'uio_pci_generic', 'clean');
    const b = labDut('b', 'vfio-pci', 'surprise');
    const c = labDut('c', 'igb_uio', 'surprise');
    const vdev = { name: 'net_null0', pmd: 'net_null' } as Dut;
    expect(pciGroups([a, vdev, b, c])).toEqual([
      { name: 'pci-iova-pa', duts: [a, c] },
      { name: 'b', duts: [b] },
    ]);
  });
});

describe('loadPciLab', () => {
  /**
   * Steps: load a module that exports createPciLab, and one that does not.
   * Verify: the first gets its options; the second is a PciLabError naming the module.
   */
  it('makes the lab from the named module, or says the module has no createPciLab', async () => {
    const good = join(work, 'good.mjs');
    writeFileSync(good, 'export function createPciLab(o) { return { peerName: o.peer }; }\n');
    const lab = await loadPciLab({ module: good, options: { peer: 'eth9' } });
    expect(lab.peerName).toBe('eth9');
    const bad = join(work, 'bad.mjs');
    writeFileSync(bad, 'export const nothing = 1;\n');
    const e = await loadPciLab({ module: bad }).catch((x) => x);
    expect(e).toBeInstanceOf(PciLabError);
    expect(e.message).toBe(`${bad} does not export createPciLab(options)`);
  });
});
