/**
 * The control of a refused rx queue setup. The SDK gives a port a pool of as many mbufs as its
 * descriptors (512 rx + 512 tx + a burst); a PMD that takes more than that from the pool fails
 * its rx queue setup, and DPDK's errno (EINVAL for net_af_xdp) does not say why. The control: the
 * same device, attached again, configured with a pool of {@link CONTROL_MBUFS}. If that works,
 * the machine can run the PMD and the finding is the PMD's appetite, said with the evidence;
 * if it fails too, the first error stands as it was.
 *
 * Found on net_af_xdp (DPDK 22.11): its xsk_configure takes ETH_AF_XDP_DFLT_NUM_DESCS (2048)
 * mbufs for the fill queue whatever the ring size, and a shorter pool fails the rx queue setup
 * with EINVAL ("Failed to get enough buffers for fq", logged at DEBUG level only).
 *
 * Given a pool it can run with (the DUT's `mbufs`), net_af_xdp's next attach in the same process
 * fails the same setup with EINVAL ("Failed to create xsk socket"): strace shows the first
 * attach's xsk socket never closed, and the new one's bind() refused with EBUSY. The same process
 * passed that setup: the refusal is said as kept state, not as a pool too small.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Eal, errnoName, isHotplugError, type PortId } from '@dpdk-hotplug/ethdev';
import { runEalChild } from '../processes/eal-child-run.js';

export const CONTROL_MBUFS = 8192;

/** A refused queue setup that a larger pool fixes: the PMD needs more mbufs than its descriptors. */
export class PoolTooSmall extends Error {
  override readonly name = 'PoolTooSmall';
}

const QUEUE_SETUP = /rx queue \d+ setup failed/;

/** A queue setup refused that the same device passed with the same pool on an earlier attach in
 * this process: something of that attach is still held (net_af_xdp 22.11: its xsk socket; 24.11
 * and later: the kernel's binding of the queue, released a moment after the socket's close). */
export class KeptFromEarlierAttach extends Error {
  override readonly name = 'KeptFromEarlierAttach';
}

type Outcome = { ok: boolean; message?: string };

/** How many setups of each devargs and pool passed in this process. */
const passed = new Map<string, number>();

/** The control, in a process of its own (a fresh EAL): does the device configure with this pool? */
export async function runControl(devargs: string, mbufs: number): Promise<Outcome> {
  const r = await runEalChild<Outcome>('pool-control-child.js', [devargs, String(mbufs)], 'certify-pool');
  return r.said ?? { ok: false, message: `the control process ended with ${r.signal ?? r.status}` };
}

/** How long a refused setup is retried, in a fresh attach, to tell a late release from a kept one. */
// 100 ms was enough on 25.11 in a loop; 500 ms leaves room for a loaded machine.
export const RELEASE_WAIT_MS = 500;

/** Attaches `devargs` again after `ms` and configures it: whether the setup passes now. */
async function passesAfter(
  eal: Eal,
  devargs: string,
  mbufs: number | undefined,
  ms: number,
): Promise<boolean> {
  await sleep(ms);
  const again = await eal.attach(devargs);
  try {
    eal.configure(again, mbufs === undefined ? {} : { mbufs });
    return true;
  } catch (e) {
    if (!isHotplugError(e)) throw e;
    return false;
  } finally {
    eal.detachDeviceSync(eal.port(again).device, { force: true });
  }
}

/**
 * Configures `port` with the DUT's pool (`mbufs`; undefined: the SDK's). When its rx queue setup
 * is refused and the port's `devargs` are known, the port is detached and the refusal explained:
 * - the same setup passed on an earlier attach in this process: {@link KeptFromEarlierAttach},
 *   saying whether a fresh attach after a wait passes (released late) or not (kept);
 * - else, with the SDK's pool, the control (a fresh process, the same device,
 *   {@link CONTROL_MBUFS} mbufs) works: {@link PoolTooSmall}.
 * The first error is rethrown when neither explains it.
 */
export async function configureWithPoolControl(
  eal: Eal,
  port: PortId,
  devargs?: string,
  mbufs?: number,
): Promise<void> {
  const key = `${mbufs ?? 'sdk'} ${devargs}`;
  try {
    eal.configure(port, mbufs === undefined ? {} : { mbufs });
    passed.set(key, (passed.get(key) ?? 0) + 1);
    return;
  } catch (e) {
    if (!devargs || !isHotplugError(e) || !QUEUE_SETUP.test(e.message)) throw e;
    eal.detachDeviceSync(eal.port(port).device, { force: true });
    const refusal = e.message.split('\n')[0];
    const before = passed.get(key) ?? 0;
    if (before > 0) {
      const log = e.dpdkLog.find((l) => !QUEUE_SETUP.test(l));
      const pool = mbufs === undefined ? "the SDK's pool" : `a pool of ${mbufs} mbufs`;
      const late = await passesAfter(eal, devargs, mbufs, RELEASE_WAIT_MS);
      const what = late
        ? `the same setup passes again on an attach ${RELEASE_WAIT_MS} ms later: the device is released late, after its detach returned`
        : `and still on an attach ${RELEASE_WAIT_MS} ms later: something of an earlier attach is kept`;
      throw new KeptFromEarlierAttach(
        `rx queue setup is refused on an attach right after a detach of the device in this process, where the same setup with ${pool} passed ${before} time(s) before, ${what}; ${refusal}${log ? ` (DPDK: ${log})` : ''}`,
      );
    }
    if (mbufs !== undefined || !(await runControl(devargs, CONTROL_MBUFS)).ok) throw e;
    const said = e.errno !== undefined ? errnoName(e.errno) : 'its error';
    throw new PoolTooSmall(
      `rx queue setup needs more mbufs than its descriptors: ${refusal} with the SDK's pool (as many mbufs as its descriptors), and the control (the same device, a pool of ${CONTROL_MBUFS} mbufs, a fresh process) works; DPDK said only ${said}`,
    );
  }
}
