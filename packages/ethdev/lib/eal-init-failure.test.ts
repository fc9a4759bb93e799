/** A failed rte_eal_init: a typed error with DPDK's words, and no doomed retry. */
import { expect, it } from 'vitest';
import { currentDpdk } from './dpdk-install.js';
import { isHotplugError } from './errors.js';
import { errorOf, startEal } from './test-support/env.js';
import { atLeast } from './versions.js';

// DPDK 25.11 exits the process on an unknown EAL flag (rte_argparse, see runtime-dir.test.ts,
// which pins that exit in a child process): the in-process form runs up to 24.11.
const exitsOnUnknownFlag = atLeast(currentDpdk().version, 25, 11);

it.skipIf(exitsOnUnknownFlag)(
  'reports a failed init with the arguments and the DPDK log, and refuses a retry that DPDK cannot do',
  () => {
    const failed = errorOf(() => startEal({ extraArgs: ['--no-such-eal-flag'] }));
    expect(isHotplugError(failed, 'EAL_INIT_FAILED')).toBe(true);
    expect((failed as Error).message).toMatch(/--no-such-eal-flag: EAL: Invalid 'command line' arguments/);
    const retry = errorOf(() => startEal());
    expect(isHotplugError(retry, 'EAL_ALREADY_INITIALIZED')).toBe(true);
    expect((retry as Error).message).toMatch(/already failed in this process/);
  },
);
