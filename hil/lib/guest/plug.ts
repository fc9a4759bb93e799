import { type Host, waitForSlot } from '@dpdk-hotplug/linux';
import { NIC_MODELS, type NicModel, type PluggedNic } from '../virtual/machine.js';
import { call } from '../virtual/mailbox.js';

/** Asks the host to hot-plug a NIC and waits until the guest sees it, bound to its kernel driver. */
export async function plugNic(
  runDir: string,
  host: Host,
  model: NicModel,
): Promise<{ nic: PluggedNic; bdf: string }> {
  const nic = await call<PluggedNic>(runDir, { op: 'plug', model });
  const bdf = await waitForSlot(host, String(nic.slot), {
    driver: NIC_MODELS[model].kernelDriver,
    timeoutMs: 20_000,
  });
  return { nic, bdf };
}
