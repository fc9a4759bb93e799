/** @dpdk-hotplug/pmd-probe: can this PMD detach? Evidence from source, binary and a real run. */

export {
  type Agreement,
  type CombinedOptions,
  driverOf,
  type ProbeReport,
  probe,
  type Says,
} from './combined.js';
export { type Elf, type ElfSection, findStrings, type PrefixPlacement, readElf } from './elf.js';
export { isProbeError, ProbeError, type ProbeErrorCode } from './errors.js';
export { registeredDriverOf, registeredPmdNames, unknownPmdMessage } from './names.js';
export {
  type DriverMatch,
  driversFor,
  installedPmdDir,
  type PciId,
  type PmdInfo,
  type PmdInfoScan,
  parseKmod,
  pmdInfoPrefixPlacement,
  readPmdInfoFile,
  readPmdInfoFileSync,
  scanPmdInfo,
} from './pmdinfo.js';
export {
  findLeaks,
  type Leak,
  probeRuntime,
  type RuntimeOptions,
  type RuntimeResult,
  type RuntimeVerdict,
} from './runtime/probe.js';
export type {
  Era,
  Evidence,
  EvidenceKind,
  Registration,
  ScanOptions,
  SourceDriver,
  SourceScan,
  SourceVerdict,
} from './source/scan.js';
export { scanSource } from './source/scan.js';
