/**
 * The helper ports a DUT's set-up attaches before it (a vhost backend, bonding members), named
 * once for the worker's environment (worker/dut-environment.ts), the processes of checks 13, 14
 * and 16, and the reproducers.
 */
import { bondingMemberKey } from '@dpdk-hotplug/ethdev';
import type { Dut } from './dut.js';

/** The helper ports a set-up attaches before the DUT, in this order (check 16 makes them in testpmd too). */
export const HELPER_PORTS = {
  'vhost-backend': (socket: string) => [`net_vhost99,iface=${socket},queues=1`],
  'null-members': () => ['net_null90', 'net_null91'],
} as const;

/**
 * A DUT's devargs and the helper ports it needs, for a process of its own (checks 13 and 14, a
 * reproducer): `{peer}` filled as the set-up fills it, a vhost backend's socket in `dir` (not the
 * worker's, whose backend listens there). No helpers for other set-ups.
 */
export function ownHelperPorts(
  dut: Dut,
  dpdkVersion: string,
  dir: string,
): { devargs: string; helpers: string[] } {
  if (dut.setup === 'vhost-backend') {
    const socket = `${dir}/vhost.sock`;
    return {
      devargs: dut.devargs.replaceAll('{peer}', socket),
      helpers: [...HELPER_PORTS['vhost-backend'](socket)],
    };
  }
  if (dut.setup === 'null-members') {
    const members = [...HELPER_PORTS['null-members']()];
    const key = bondingMemberKey(dpdkVersion);
    return {
      devargs: dut.devargs.replaceAll('{peer}', members.map((m) => `${key}=${m}`).join(',')),
      helpers: members,
    };
  }
  return { devargs: dut.devargs, helpers: [] };
}
