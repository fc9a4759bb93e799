/**
 * The control of a refused rx queue setup, on real DPDK: net_af_xdp on a veth pair this test
 * makes. DPDK 22.11's net_af_xdp fails its rx queue setup with EINVAL when the pool holds fewer
 * than 2048 mbufs, whatever the descriptors asked for; the machine runs it with a larger pool.
 */
import { type Eal, isHotplugError } from '@dpdk-hotplug/ethdev';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AfXdpVeth, afXdpUnavailable, afXdpVeth } from '../test-support/af-xdp-veth.js';
import { CONTROL_MBUFS, configureWithPoolControl, PoolTooSmall, runControl } from './pool-control.js';

let lab: AfXdpVeth;
let eal: Eal;
let devargs: string;

describe.skipIf(afXdpUnavailable !== undefined)(
  `the pool control (net_af_xdp on a veth pair of its own)${afXdpUnavailable ? ` (skipped: ${afXdpUnavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      lab = await afXdpVeth('dphppc');
      ({ eal, devargs } = lab);
    });
    afterAll(() => lab?.tearDown());

    const refusal = (mbufs?: number) => {
      const port = eal.attachSync(devargs);
      try {
        eal.configure(port, mbufs ? { mbufs } : {});
        return undefined;
      } catch (e) {
        if (!isHotplugError(e)) throw e;
        return e;
      } finally {
        eal.detachSync(port, { force: true });
      }
    };

    /** One configure in a fresh process (the control's own child): nothing earlier decides it. */
    const fresh = (mbufs: number) => runControl(devargs, mbufs);

    it("the SDK's default pool is refused with EINVAL, and so are 2047 mbufs", () => {
      expect(refusal()?.message).toMatch(/rx queue 0 setup failed with EINVAL$/);
      expect(refusal(2047)?.message).toMatch(/rx queue 0 setup failed with EINVAL$/);
    });

    it('the control turns the refusal into its finding, and leaves nothing attached', async () => {
      const port = eal.attachSync(devargs);
      let thrown: unknown;
      try {
        await configureWithPoolControl(eal, port, devargs);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(PoolTooSmall);
      expect((thrown as Error).message).toMatch(
        new RegExp(
          `^rx queue setup needs more mbufs than its descriptors: Port \\d+ \\(net_af_xdp0\\): rx queue 0 setup failed with EINVAL with the SDK's pool .*a pool of ${CONTROL_MBUFS} mbufs, a fresh process\\) works; DPDK said only EINVAL$`,
        ),
      );
      expect(eal.ports()).toEqual([]);
    });

    // In a fresh process: within one, each xsk socket's UMEM stays pinned after a refused setup
    // (an af_xdp re-attach finding of its own), and with 8 MiB of locked memory (this machine,
    // without CAP_SYS_RESOURCE) a later one fails with "Failed to create xsk socket".
    it('2048 mbufs are enough, 2047 are not (the fill queue reserve of DPDK 22.11: ETH_AF_XDP_DFLT_NUM_DESCS)', async () => {
      expect(await fresh(2048)).toEqual({ ok: true });
      expect(await fresh(2047)).toMatchObject({
        ok: false,
        message: expect.stringMatching(/rx queue 0 setup failed with EINVAL$/),
      });
    });

    it('a PMD whose setup works is configured as before; without devargs there is no control', async () => {
      const port = eal.attachSync('net_null5');
      await configureWithPoolControl(eal, port, 'net_null5');
      expect(eal.port(port).state).toBe('configured');
      eal.detachSync(port, { force: true });
      const xdp = eal.attachSync(devargs);
      await expect(configureWithPoolControl(eal, xdp)).rejects.toThrow(
        /rx queue 0 setup failed with EINVAL$/,
      );
      eal.detachSync(xdp, { force: true });
    });
  },
);
