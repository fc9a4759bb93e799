/** A failed rte_eal_init: a typed error with DPDK's words, and no doomed retry. */
import { expect, it } from 'vitest';
import { currentDpdk } from './dpdk-install.js';
import { isHotplugError } from './errors.js';
import { errorOf, startEal } from './test-support/env.js';
import { atLeast } from './versions.js';

// Up to 24.11 (the message checked is theirs; 25.11 parses its options with rte_argparse, see
// runtime-dir.test.ts). A bad value of a flag the SDK passes through: unknown flags are refused
// before DPDK (eal-flags.ts).
const exitsOnBadFlag = atLeast(currentDpdk().version, 25, 11);

it.skipIf(exitsOnBadFlag)(
  'reports a failed init with the arguments and the DPDK log, and refuses a retry that DPDK cannot do',
  () => {
    const failed = errorOf(() => startEal({ extraArgs: ['--vfio-intr=bogus'] }));
    expect(isHotplugError(failed, 'EAL_INIT_FAILED')).toBe(true);
    expect((failed as Error).message).toMatch(/--vfio-intr=bogus: EAL: Invalid 'command line' arguments/);
    const retry = errorOf(() => startEal());
    expect(isHotplugError(retry, 'EAL_ALREADY_INITIALIZED')).toBe(true);
    expect((retry as Error).message).toMatch(/already failed in this process/);
  },
);
