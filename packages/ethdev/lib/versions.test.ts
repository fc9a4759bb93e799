/** versions.ts: the one rule for reading and comparing DPDK version strings. */
import { describe, expect, it } from 'vitest';
import { FakeDpdk } from './fake-dpdk.js';
import {
  atLeast,
  releaseOf,
  removedVdevStaysOnBus,
  versionNumber,
  versionOf,
  versionOfNumber,
} from './versions.js';

describe('DPDK versions', () => {
  it('reads a version with or without its minor and prefix', () => {
    expect(versionOf('DPDK 22.11.11')).toEqual({ year: 22, month: 11, minor: 11 });
    expect(versionOf('25.11')).toEqual({ year: 25, month: 11, minor: 0 });
    expect(releaseOf('24.11.8')).toEqual({ year: 24, month: 11 });
    expect(versionOf('not a version')).toBeUndefined();
  });

  it('compares releases, an unparsable version counting as the oldest', () => {
    expect(atLeast('22.11.4', 22, 11)).toBe(true);
    expect(atLeast('22.07', 22, 11)).toBe(false);
    expect(atLeast('23.03', 22, 11)).toBe(true);
    expect(atLeast('21.11.9', 22, 11)).toBe(false);
    expect(atLeast('garbage', 0, 0)).toBe(false);
  });

  it('packs a version as RTE_VERSION_NUM does, and back', () => {
    expect(versionNumber('22.11.11')).toBe((22 << 16) | (11 << 8) | 11);
    expect(versionNumber('DPDK 25.11')).toBe((25 << 16) | (11 << 8));
    expect(versionNumber('x')).toBeUndefined();
    expect(versionOfNumber(versionNumber('24.03.2')!)).toBe('24.03.2');
  });

  it('keeps a removed vdev on its bus from 26.07, and FakeDpdk follows the release it models', () => {
    expect(['25.11.4', '26.03.0', '26.07.0', '26.11.0-rc0'].map(removedVdevStaysOnBus)).toEqual([
      false,
      false,
      true,
      true,
    ]);
    const again = (version: string) => {
      const fake = new FakeDpdk({ version });
      fake.dphp_attach_area('net_null0', 'net_null0');
      return [
        fake.rte_eal_hotplug_remove('vdev', 'net_null0'),
        fake.rte_eal_hotplug_remove('vdev', 'net_null0'),
      ];
    };
    expect(again('22.11.4')).toEqual([0, -22]);
    expect(again('26.07.0')).toEqual([0, -2]);
    // A name never probed is not on the bus in any release.
    expect(new FakeDpdk({ version: '26.07.0' }).rte_eal_hotplug_remove('vdev', 'net_null9')).toBe(-22);
  });
});
