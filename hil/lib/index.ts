/** @dpdk-hotplug/hil: lab runs — the virtual lab that hot-plugs emulated NICs into a QEMU guest. */
export { isLabError, LabError, type LabErrorCode } from './errors.js';
export { DEFAULT_CACHE, type LabImage, prepareLabImage } from './virtual/image.js';
export { type CpioEntry, initramfs } from './virtual/initramfs.js';
export {
  type MachineOptions,
  NIC_MODELS,
  type NicModel,
  type PluggedNic,
  VirtualMachine,
} from './virtual/machine.js';
export { QmpClient, type QmpEvent } from './virtual/qmp.js';
export {
  type LabCase,
  labCases,
  MATRIX_RUNNERS,
  matrixInventory,
  PCI_CHECKS,
  plannedChecks,
  runVirtualLab,
  type UserspaceDriver,
  type VirtualLabOptions,
} from './virtual/run.js';
