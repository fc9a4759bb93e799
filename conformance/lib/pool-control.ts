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
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Eal, errnoName, isHotplugError, type PortId } from '@dpdk-hotplug/ethdev';

export const CONTROL_MBUFS = 8192;

/** A refused queue setup that a larger pool fixes: the PMD needs more mbufs than its descriptors. */
export class PoolTooSmall extends Error {
  override readonly name = 'PoolTooSmall';
}

const QUEUE_SETUP = /rx queue \d+ setup failed/;

/** The control's outcome per devargs, once per worker: the PMD does not change within a run. */
const controls = new Map<string, { ok: boolean; message?: string }>();

/** The control, in a process of its own (a fresh EAL): does the device configure with a large pool? */
function runControl(devargs: string): { ok: boolean; message?: string } {
  const known = controls.get(devargs);
  if (known) return known;
  const child = fileURLToPath(new URL('../dist/pool-control-child.js', import.meta.url));
  const r = spawnSync(process.execPath, [child, devargs, String(CONTROL_MBUFS)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  // A child that died cannot remove its runtime folder; it is ours, named by the child's pid.
  if (r.pid) rmSync(`/var/run/dpdk/certify-pool-${r.pid}`, { recursive: true, force: true });
  let outcome: { ok: boolean; message?: string };
  try {
    outcome = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    outcome = { ok: false, message: `the control process ended with ${r.signal ?? r.status}` };
  }
  controls.set(devargs, outcome);
  return outcome;
}

/**
 * Configures `port` as the SDK does by default; when its rx queue setup is refused and the port's
 * `devargs` are known, runs the control (once per worker) and throws {@link PoolTooSmall} if a
 * larger pool works. The port is detached first (the control attaches the same device); the
 * first error is rethrown when the control fails too.
 */
export function configureWithPoolControl(eal: Eal, port: PortId, devargs?: string): void {
  try {
    eal.configure(port);
    return;
  } catch (e) {
    if (!devargs || !isHotplugError(e) || !QUEUE_SETUP.test(e.message)) throw e;
    eal.detachDeviceSync(eal.port(port).device, { force: true });
    if (!runControl(devargs).ok) throw e;
    const said = e.errno !== undefined ? errnoName(e.errno) : 'its error';
    throw new PoolTooSmall(
      `rx queue setup needs more mbufs than its descriptors: ${e.message.split('\n')[0]} with the SDK's pool (as many mbufs as its descriptors), and the control (the same device, a pool of ${CONTROL_MBUFS} mbufs, a fresh process) works; DPDK said only ${said}`,
    );
  }
}
