/**
 * @dpdk-hotplug/ethdev — DPDK's port hotplug framework from Node.js.
 *
 *   const eal = Eal.init({ noHuge: true, noPci: true, memoryMb: 128 });
 *   const port = await eal.attach('net_null0');
 *   ...
 *   eal.close(port);
 *   await eal.detach(port); // 'net_null0'
 */

export {
  canonicalPciAddress,
  type Devargs,
  type DevargsFile,
  type DevargsPolicy,
  parseDevargs,
  type SplitDevargs,
  splitDevargs,
} from './devargs.js';
export { DEFAULT_DEVARGS_BUDGET_MB, type RingAsk } from './devargs-budget.js';
export { DEVARGS_BUDGET_ENV, DEVARGS_PATHS_ENV, SYSFS_ENV } from './devargs-policy.js';
export type { RegisteredDriver } from './device-class.js';
export type { DpdkBinding, HotArea, OffThreadFn, RawEthStats, RawPortInfo } from './dpdk-binding.js';
export {
  currentDpdk,
  DPDK_ENV,
  type DpdkInstall,
  findDpdk,
  loadedDpdk,
  MIN_DPDK,
  selectDpdk,
} from './dpdk-install.js';
export { DELAYS_ENV, Eal } from './eal.js';
export {
  DpdkError,
  EalStateError,
  errnoName,
  HotplugError,
  type HotplugErrorCode,
  type HotplugErrorDetails,
  InvalidInputError,
  isHotplugError,
  PortStateError,
} from './errors.js';
export { HAZARDOUS_DEVARGS, type HazardEffect, type HazardousDevargs } from './hazards.js';
export {
  analyzeLeaks,
  DEFAULT_THRESHOLDS,
  detectionFloor,
  type LeakThreshold,
  type LeakVerdict,
  MIN_LEAK_CYCLES,
  type OneStep,
  percentile,
  slope,
  warmup,
} from './leak.js';
export { type MultiProcessCut, multiProcessCut } from './multi-process-cut.js';
export { WORKER_SPIN_ENV, WORKER_THREAD_NAME } from './off-thread.js';
export type { ProbedDevice } from './pmd-args.js';
export { portId, portRef } from './ports.js';
export { describeHeld, type HeldResources, leftBehind } from './resources.js';
export { removableRuntimeDir, runtimeDirFor } from './runtime-dir.js';
export { MAX_PACKET } from './traffic.js';
export type {
  AsyncOptions,
  AttachEvent,
  AttachedPort,
  AttachOptions,
  ConfigureOptions,
  DetachEvent,
  DetachOptions,
  EalEvents,
  EalOptions,
  LateEvent,
  LogLevel,
  PacketBatch,
  PmdOutputEvent,
  PortHandle,
  PortId,
  PortInfo,
  PortRef,
  PortState,
  PortStats,
  RemoveEvent,
  ResourceSnapshot,
} from './types.js';
export { atLeast, bondingMemberKey, type DpdkRelease, releaseOf } from './versions.js';
