/**
 * net_af_xdp attached again right after its detach, in one process, with a pool it can run with
 * (lib/checks/pool-control.ts): the setup that passed on the first attach is refused on the next one.
 * DPDK 22.11 keeps the first attach's xsk socket (strace: never closed; the new bind() gets
 * EBUSY); on 25.11 the socket is closed and unmapped, and the kernel releases the queue a moment
 * later (a 100 ms wait is enough). The suite says which, from a second attach after a wait.
 */
import { atLeast, currentDpdk, type Eal } from '@dpdk-hotplug/ethdev';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AfXdpVeth, afXdpUnavailable, afXdpVeth } from '../test-support/af-xdp-veth.js';
import { configureWithPoolControl, KeptFromEarlierAttach } from './pool-control.js';

let lab: AfXdpVeth;
let eal: Eal;
let devargs: string;

describe.skipIf(afXdpUnavailable !== undefined)(
  `a re-attach of net_af_xdp in one process (a veth pair of its own)${afXdpUnavailable ? ` (skipped: ${afXdpUnavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      lab = await afXdpVeth('dphpks');
      ({ eal, devargs } = lab);
    });
    afterAll(() => lab?.tearDown());

    it('is refused after the same setup passed, and said as kept (22.11) or released late', async () => {
      const first = await eal.attach(devargs);
      await configureWithPoolControl(eal, first, devargs, 4096);
      eal.start(first);
      eal.stop(first);
      eal.close(first);
      await eal.detach(first);
      const again = await eal.attach(devargs);
      const refused = await configureWithPoolControl(eal, again, devargs, 4096).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(KeptFromEarlierAttach);
      const message = (refused as Error).message;
      expect(message).toMatch(/where the same setup with a pool of 4096 mbufs passed 1 time\(s\) before/);
      expect(message).toMatch(/Failed to create xsk socket/);
      const version = currentDpdk().version;
      if (!atLeast(version, 23, 11)) expect(message).toMatch(/something of an earlier attach is kept/);
      if (atLeast(version, 25, 11)) expect(message).toMatch(/the device is released late/);
      // Nothing is left attached: the refused port and the wait's attach were detached.
      expect(eal.ports()).toEqual([]);
    });
  },
);
