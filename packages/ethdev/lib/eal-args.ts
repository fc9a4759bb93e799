import { readFileSync } from 'node:fs';
import { type DevargsPolicy, parseDevargs } from './devargs.js';
import { policyOptions, sharesInstance } from './devargs-policy.js';
import { driversToLoad } from './device-class.js';
import { currentDpdk, findDpdk } from './dpdk-install.js';
import { driverPath } from './drivers.js';
import { InvalidInputError } from './errors.js';
import { checkEalOptions, LOG_LEVELS } from './options.js';
import { PCI_BRIDGE_CLASS, pciClassReader } from './pci-class.js';
import type { EalOptions } from './types.js';

/** The first CPU this process may run on, from /proc/self/status. */
export function firstAllowedCpu(status = readFileSync('/proc/self/status', 'utf8')): number {
  const m = /^Cpus_allowed_list:\s*(\d+)/m.exec(status);
  return m ? Number(m[1]) : 0;
}

/**
 * The file prefix the EAL will use, and whether it is the SDK's own (`dphp-<pid>`): the caller's
 * if given; none for a secondary or auto process (it joins DPDK's default instance).
 */
export function filePrefixOf(options: EalOptions): { prefix: string | undefined; own: boolean } {
  if (options.filePrefix !== undefined) return { prefix: options.filePrefix, own: false };
  if (options.processType === 'secondary' || options.processType === 'auto') {
    return { prefix: undefined, own: false };
  }
  return { prefix: `dphp-${process.pid}`, own: true };
}

/** EAL argv (without argv[0]) for the options, each checked first; throws INVALID_OPTION or INVALID_DEVARGS. */
export function ealArgs(value: EalOptions): string[] {
  const options = checkEalOptions(value);
  const { devargsPaths, devargsBudgetMb, sysfs } = policyOptions(options);
  const policy: DevargsPolicy = {
    allowShellCommands: options.allowShellCommandsInDevargs,
    overwriteFiles: options.overwriteFiles,
    devargsPaths,
    nonPortDevices: options.nonPortDevices,
    devargsBudgetMb,
    multiProcess: sharesInstance(options),
    // `--vdev` devices are probed by rte_eal_init, before any PMD is mapped: the PMDs it will load.
    drivers: () => driversToLoad(pmdDirOf(options.dpdk), options.drivers),
  };
  const args: string[] = [];
  const { lcores = [firstAllowedCpu()] } = options;
  args.push('-l', typeof lcores === 'string' ? lcores : lcores.join(','));
  if (options.memoryMb !== undefined) args.push('-m', String(options.memoryMb));
  if (options.noHuge) args.push('--no-huge');
  if (options.inMemory) args.push('--in-memory');
  if (options.noPci) args.push('--no-pci');
  if (options.noSharedConfig) args.push('--no-shconf');
  for (const vdev of options.vdevs ?? []) {
    const d = parseDevargs(vdev, policy);
    if (d.bus !== 'vdev') throw bad('vdevs', `${JSON.stringify(vdev)} is a PCI address; put it in allow`);
    args.push('--vdev', d.devargs);
  }
  // The allow list is probed by rte_eal_init as `attach` probes: class-checked the same way
  // (NOT_A_PORT_DEVICE); the block list is never probed, so any class may be in it. A bridge is
  // let through: no PMD drives one, and allowing the host bridge is how a process scans the bus
  // and probes nothing at start (pmd-probe, certify's PCI worker).
  const classOf = pciClassReader(sysfs);
  const pciClass = (address: string) => {
    const code = classOf(address);
    return code !== undefined && code >> 16 === PCI_BRIDGE_CLASS ? undefined : code;
  };
  const allowPolicy: DevargsPolicy = { ...policy, pciClass };
  for (const [flag, list, name] of [
    ['-a', options.allow, 'allow'],
    ['-b', options.block, 'block'],
  ] as const) {
    for (const item of list ?? []) {
      const d = parseDevargs(item, flag === '-a' ? allowPolicy : policy);
      if (d.bus !== 'pci') throw bad(name, `${JSON.stringify(item)} is not a PCI address`);
      args.push(flag, d.devargs);
    }
  }
  const { prefix } = filePrefixOf(options);
  if (prefix !== undefined) args.push('--file-prefix', prefix);
  if (options.iovaMode) args.push('--iova-mode', options.iovaMode);
  if (options.processType) args.push('--proc-type', options.processType);
  args.push(`--log-level=${LOG_LEVELS[options.logLevel ?? 'notice']}`);
  args.push(...(options.extraArgs ?? []));
  for (const driver of options.drivers ?? []) args.push('-d', driverPath(driver));
  return args;
}

/** The PMD folder of the DPDK Eal.init will load; undefined when it cannot tell (init says why). */
function pmdDirOf(prefix: string | undefined): string | undefined {
  try {
    return (prefix === undefined ? currentDpdk() : findDpdk(prefix)).pmdDir;
  } catch {
    return undefined;
  }
}

function bad(option: string, why: string): InvalidInputError {
  return new InvalidInputError('INVALID_OPTION', `Invalid EAL option ${option}: ${why}`, { key: option });
}
