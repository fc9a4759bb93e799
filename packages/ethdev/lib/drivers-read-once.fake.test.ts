/**
 * The device-class check's list of registered drivers is read from /proc/self/maps once per Eal,
 * not at every attach (FakeDpdk maps no PMD library: the list is empty and was re-read each time).
 */
import * as fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { Eal } from './eal.js';
import { FakeDpdk } from './fake-dpdk.js';

vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>();
  return { ...real, readFileSync: vi.fn(real.readFileSync) };
});

const mapsReads = () =>
  vi.mocked(fs.readFileSync).mock.calls.filter(([path]) => path === '/proc/self/maps').length;

describe("the registered drivers of an Eal's attach policy", () => {
  it('are read once, at the first attach, however many attaches follow', async () => {
    const eal = Eal.init({ noHuge: true, noPci: true, noSharedConfig: true, logEcho: false }, new FakeDpdk());
    const before = mapsReads();
    for (let i = 0; i < 5; i++) {
      const port = await eal.attach(`net_null${i}`);
      eal.close(port);
      await eal.detach(port);
    }
    expect(mapsReads() - before).toBe(1);
    eal.cleanup();
  });
});
