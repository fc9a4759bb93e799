/**
 * The `delays` option's default from DPDK_HOTPLUG_DELAYS (what a command sets for its children),
 * on the fake binding: the logic above DPDK (the real effect: delays.test.ts).
 */
import { afterEach, expect, it } from 'vitest';
import { DELAYS_ENV, Eal } from './eal.js';
import { isHotplugError } from './errors.js';
import { FakeDpdk } from './fake-dpdk.js';

const OPTIONS = { noHuge: true, noPci: true, noSharedConfig: true, logEcho: false } as const;
const saved = process.env[DELAYS_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[DELAYS_ENV];
  else process.env[DELAYS_ENV] = saved;
});

it('takes delays from DPDK_HOTPLUG_DELAYS unless given, and refuses a bad value naming it', () => {
  // Steps: an EAL on a fake each: no option, no environment; the environment's sleep; the
  // option's busy over it; a misspelt environment value.
  // Verify: busy, sleep, busy as DPDK reads them back; the bad value is INVALID_OPTION (key
  // delays) naming the variable and both spellings, before any EAL starts.
  delete process.env[DELAYS_ENV];
  expect(Eal.init(OPTIONS, new FakeDpdk()).delays).toBe('busy');
  process.env[DELAYS_ENV] = 'sleep';
  expect(Eal.init(OPTIONS, new FakeDpdk()).delays).toBe('sleep');
  expect(Eal.init({ ...OPTIONS, delays: 'busy' }, new FakeDpdk()).delays).toBe('busy');
  process.env[DELAYS_ENV] = 'sleeping';
  let refused: unknown;
  try {
    Eal.init(OPTIONS, new FakeDpdk());
  } catch (e) {
    refused = e;
  }
  expect(isHotplugError(refused) && refused.code).toBe('INVALID_OPTION');
  expect((refused as { key?: string }).key).toBe('delays');
  expect((refused as Error).message).toBe('Invalid DPDK_HOTPLUG_DELAYS: "sleeping" is not "busy" or "sleep"');
});
