/** @dpdk-hotplug/linux: the kernel side of DPDK port hotplug, from sysfs. */
export { type BindOptions, type BindResult, bind, type PlannedWrite, restore, unbind } from './bind.js';
export {
  BindError,
  DRIVER_NAME,
  isBindError,
  isDriverName,
  isKernelError,
  KernelError,
  type KernelErrorCode,
  writeHint,
} from './errors.js';
export {
  createHost,
  type Exec,
  type ExecResult,
  type Host,
  type HostIo,
  type HostOptions,
  type NetLink,
  type NetRoute,
  type NetState,
} from './host.js';
export {
  type HugepageSize,
  type Hugepages,
  type HugetlbfsMount,
  hugepages,
  hugetlbfsMountCommand,
  memTotal,
  mountHugetlbfs,
  parseSize,
  type Reservation,
  releaseHugepages,
  reserveHugepages,
  unmountHugetlbfs,
} from './hugepages.js';
export {
  type BlockDevice,
  DEVICE_CLASSES,
  getDevice,
  type ListOptions,
  listDevices,
  type NetInterface,
  type PciDevice,
  USERSPACE_DRIVERS,
  type UserspaceDriver,
} from './inventory.js';
export { isUnder, type MountEntry, mounts, mountsUnder, parseMountinfo, parseMounts } from './mounts.js';
export {
  addNetns,
  addVethPair,
  type Deleted,
  deleteLink,
  deleteNetns,
  linkExists,
  type NetdevOptions,
  netnsExists,
  rxPackets,
  setLinkDown,
  setLinkUp,
  setVf,
  type VfSetting,
} from './netdev.js';
export { isPciAddress, type PciAddress, pciAddress } from './pci-address.js';
export {
  type HotplugOptions,
  type PciSlot,
  physicalFunction,
  removeDevice,
  rescan,
  setVfCount,
  slotPower,
  slots,
  virtualFunctions,
  waitForDevice,
  waitForInterface,
  waitForSlot,
} from './pci-hotplug.js';
export type { PciNames } from './pci-ids.js';
export {
  loadModule,
  type ModuleLoad,
  moduleAvailable,
  moduleLoaded,
  moduleOf,
  type Readiness,
  type ReadinessCheck,
  readiness,
  type VfioState,
  vfioState,
} from './readiness.js';
export { type BindingRecord, listBindings, readBinding } from './records.js';
export { removeOwnTree } from './remove-tree.js';
export { type Uevent, UeventMonitor, type UeventMonitorOptions } from './uevents.js';
