import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type SourceDriver, scanSource } from './scan.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/source/${name}`, import.meta.url));
const byName = (drivers: SourceDriver[]) => Object.fromEntries(drivers.map((d) => [d.name, d]));

describe('source scan, DPDK ≤ 17.08 shapes', () => {
  /**
   * Steps: scan a tree that defines the DETACHABLE flags, with drivers registered by
   * PMD_REGISTER_DRIVER (with and without a name), an eth_driver found through the rte_driver's
   * init, flags split across lines, wrapped in macros, commented out, and an #if 0 driver.
   * Verify: the era; each driver's verdict, bus and evidence with file:line; the disabled driver absent.
   */
  it('reads the flags of the era, wherever they hide', async () => {
    const scan = await scanSource(fixture('legacy-tree'));
    expect(scan.era).toBe('legacy');
    expect(scan.eraReason).toContain('rte_pci.h');
    const d = byName(scan.drivers);
    expect(Object.keys(d).sort()).toEqual([
      'eth_loop',
      'eth_typo',
      'rte_acme_pmd',
      'rte_acmevf_pmd',
      'widget',
    ]);
    expect(d.rte_acme_pmd).toMatchObject({
      bus: 'pci',
      registeredBy: 'PMD_REGISTER_DRIVER',
      verdict: 'detachable',
      struct: {
        type: 'eth_driver',
        variable: 'rte_acme_pmd',
        file: 'drivers/net/acme/acme_ethdev.c',
        line: 4,
      },
    });
    expect(d.rte_acme_pmd!.evidence).toContainEqual(
      expect.objectContaining({
        kind: 'pci-drv-detachable',
        file: 'drivers/net/acme/acme_ethdev.c',
        line: 8,
      }),
    );
    expect(d.rte_acmevf_pmd).toMatchObject({
      verdict: 'not-detachable',
      reason: expect.stringContaining('no RTE_PCI_DRV_DETACHABLE'),
    });
    expect(d.widget).toMatchObject({
      verdict: 'detachable',
      reason: expect.stringContaining('through WIDGET_DRV_FLAGS'),
    });
    expect(d.eth_loop).toMatchObject({ bus: 'vdev', verdict: 'detachable' });
    expect(d.eth_loop!.evidence.map((e) => `${e.kind} ${e.file}:${e.line}`)).toEqual([
      'vdev-uninit drivers/net/loop/loop_vdev.c:9',
      'ethdev-detachable drivers/net/loop/loop_dev.c:5',
      'releases-port drivers/net/loop/loop_dev.c:13',
    ]);
    expect(d.eth_typo).toMatchObject({
      verdict: 'not-detachable',
      reason: expect.stringContaining('typo.c:5 puts RTE_PCI_DRV_DETACHABLE into dev_flags'),
    });
  });
});

describe('source scan, DPDK ≥ 17.11 shapes', () => {
  /**
   * Steps: scan a later tree: designated and positional initializers, .remove = NULL, a
   * constructor calling rte_pci_register with the name behind a macro, a structure defined in
   * another file than its registration, an alias.
   * Verify: verdicts from the .remove callback, names and aliases, the close-remove flag seen.
   */
  it('reads the .remove callback in every initializer style', async () => {
    const scan = await scanSource(fixture('modern-tree'));
    expect(scan.era).toBe('modern');
    const d = byName(scan.drivers);
    expect(Object.keys(d).sort()).toEqual(['net_ctor', 'net_fast', 'net_pos', 'net_split', 'net_stuck']);
    expect(d.net_fast).toMatchObject({ registeredBy: 'RTE_PMD_REGISTER_PCI', verdict: 'detachable' });
    expect(d.net_stuck).toMatchObject({
      verdict: 'not-detachable',
      reason: expect.stringContaining('stuck.c:5'),
    });
    expect(d.net_pos).toMatchObject({ bus: 'vdev', aliases: ['eth_pos'], verdict: 'detachable' });
    expect(d.net_pos!.evidence[0]).toMatchObject({ kind: 'remove-callback', line: 6, text: 'pos_remove' });
    expect(d.net_ctor).toMatchObject({ registeredBy: 'constructor', bus: 'pci', verdict: 'detachable' });
    expect(d.net_ctor!.evidence.map((e) => e.kind)).toContain('close-remove');
    expect(d.net_split).toMatchObject({
      file: 'drivers/net/split/split_reg.c',
      struct: { file: 'drivers/net/split/split_drv.c' },
      verdict: 'detachable',
    });
  });

  it('says when the era is a guess, and when the structure is missing', async () => {
    const solo = await scanSource(fixture('single-driver'));
    expect(solo.era).toBe('unknown');
    expect(solo.drivers[0]).toMatchObject({
      name: 'net_solo',
      verdict: 'detachable',
      reason: expect.stringContaining('DPDK ≥ 17.11 assumed'),
    });
    const split = await scanSource(fixture('modern-tree/drivers/net/split/split_reg.c'));
    expect(split.drivers[0]).toMatchObject({
      name: 'net_split',
      verdict: 'unknown',
      reason: expect.stringContaining('not defined'),
    });
    await expect(scanSource('/nonexistent/tree')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
