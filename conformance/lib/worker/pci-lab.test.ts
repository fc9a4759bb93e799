import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTitle, PCI_CHECK_SPECS, type PciCheckId } from '../model/catalogue.js';
import { loadPciLab, PciLabError, pciProject } from './pci-lab.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-pci-lab-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('PCI projects', () => {
  /**
   * Steps: the project settings of each removal, against every PCI check's title.
   * Verify: clean selects 101–109 and 112, surprise 101–104, 110, 111, 106, 112, 108, 109; nothing else (no
   * vdev check, no 1010).
   */
  it('select exactly the checks each removal plans', () => {
    const ids = Object.keys(PCI_CHECK_SPECS).map(Number) as PciCheckId[];
    const picked = (removal: 'clean' | 'surprise') =>
      ids.filter((id) => pciProject(removal).grep.test(` virtual-x pci.spec.ts ${checkTitle(id)}`));
    expect(picked('clean')).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 112]);
    expect(picked('surprise')).toEqual([101, 102, 103, 104, 106, 108, 109, 110, 111, 112]);
    expect(pciProject('clean').grep.test(checkTitle(1))).toBe(false);
    expect(pciProject('clean').grep.test('1010. not a check')).toBe(false);
    expect(pciProject('surprise').testMatch).toBe('pci.spec.ts');
    // The compiled config (an installed suite) runs the compiled spec.
    expect(pciProject('surprise', '.js').testMatch).toBe('pci.spec.js');
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
