import { DpdkError, errnoName, type HotplugError, PortStateError } from './errors.js';

const ENODEV = 19;
const EEXIST = 17;

/**
 * The typed error for a failed rte_dev_probe. DPDK's return codes are terse and sometimes
 * misleading (-EFAULT for an unknown vdev driver, -1 for bad PMD arguments), so the log lines
 * printed during the call decide too, and the most specific of them is quoted.
 */
export function attachError(
  rc: number,
  bus: string,
  name: string,
  devargs: string,
  dpdkLog: readonly string[],
): HotplugError {
  const details = { errno: -rc, devargs, device: name, dpdkLog };
  // The PMD's own words say more than EAL's wrappers ("Driver cannot attach the device").
  const said =
    dpdkLog.find((l) => !/^EAL: /.test(l)) ??
    dpdkLog.filter((l) => !/Failed to attach device on primary/.test(l)).at(-1);
  if (rc === -EEXIST)
    return new PortStateError('ALREADY_ATTACHED', `Device ${name} is already attached`, details);
  if (bus === 'pci' && rc === -ENODEV) {
    return new DpdkError(
      'DEVICE_NOT_FOUND',
      `No PCI device ${name} that DPDK can drive: it must exist and be bound to vfio-pci, igb_uio or uio_pci_generic`,
      details,
    );
  }
  if (bus === 'vdev' && dpdkLog.some((l) => /failed to parse device|no driver found/i.test(l))) {
    return new DpdkError(
      'UNKNOWN_DRIVER',
      `No vdev driver matches ${JSON.stringify(name)} (${said ?? errnoName(rc)})`,
      details,
    );
  }
  return new DpdkError(
    'ATTACH_FAILED',
    `DPDK could not attach ${JSON.stringify(devargs)}: ${said ?? errnoName(rc)}`,
    details,
  );
}
