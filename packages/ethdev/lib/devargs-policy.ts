/**
 * What an Eal lets a devargs do (EalOptions, AttachOptions), as the DevargsPolicy parseDevargs
 * checks: kept here so that eal.ts only builds it and tells it what attached.
 */

import { isAbsolute } from 'node:path';
import type { Devargs, DevargsPolicy } from './devargs.js';
import { loadedDrivers, type RegisteredDriver } from './device-class.js';
import { InvalidInputError } from './errors.js';
import { pciClassReader } from './pci-class.js';
import type { AttachOptions, EalOptions } from './types.js';

/**
 * The default of `devargsPaths` when `Eal.init` is not given one: absolute folders separated by
 * ":" (as PATH), so that a command (certify --devargs-paths) sets it for every process it starts.
 */
export const DEVARGS_PATHS_ENV = 'DPDK_HOTPLUG_DEVARGS_PATHS';
/** The default of `devargsBudgetMb` (certify and probe --devargs-budget), decimal MiB. */
export const DEVARGS_BUDGET_ENV = 'DPDK_HOTPLUG_DEVARGS_BUDGET_MB';
/** The default of `sysfs` (certify and probe --sysfs), an absolute folder. */
export const SYSFS_ENV = 'DPDK_HOTPLUG_SYSFS';

const MAX_BUDGET_MB = 2 ** 20; // options.ts' bound of devargsBudgetMb

type Read<T> = { ok: T } | { bad: string };

function fromEnv<T>(name: string, key: string, read: (value: string) => Read<T>): T | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const got = read(value);
  if ('bad' in got) throw new InvalidInputError('INVALID_OPTION', `Invalid ${name}: ${got.bad}`, { key });
  return got.ok;
}

/** The policy's options: the Eal's, else the environment's (set by a command for its children). */
export function policyOptions(
  options: EalOptions,
): Pick<EalOptions, 'devargsPaths' | 'devargsBudgetMb' | 'sysfs'> {
  const devargsPaths =
    options.devargsPaths ??
    fromEnv(DEVARGS_PATHS_ENV, 'devargsPaths', (v) => {
      const paths = v.split(':').filter((p) => p !== '');
      const bad = paths.find((p) => !isAbsolute(p));
      return bad === undefined
        ? { ok: paths }
        : { bad: `${JSON.stringify(bad)} is not an absolute folder path` };
    });
  const devargsBudgetMb =
    options.devargsBudgetMb ??
    fromEnv(DEVARGS_BUDGET_ENV, 'devargsBudgetMb', (v) =>
      /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_BUDGET_MB
        ? { ok: Number(v) }
        : { bad: `${JSON.stringify(v)} is not a whole number of MiB from 1 to ${MAX_BUDGET_MB}` },
    );
  const sysfs =
    options.sysfs ??
    fromEnv(SYSFS_ENV, 'sysfs', (v) =>
      isAbsolute(v) ? { ok: v } : { bad: `${JSON.stringify(v)} is not an absolute folder path` },
    );
  return {
    ...(devargsPaths !== undefined ? { devargsPaths } : {}),
    ...(devargsBudgetMb !== undefined ? { devargsBudgetMb } : {}),
    ...(sysfs !== undefined ? { sysfs } : {}),
  };
}

/**
 * Whether other processes may share the instance: a process type or file prefix given (the way to
 * share one, see EalOptions.filePrefix) with shared state (not noSharedConfig, inMemory, noHuge).
 * The SDK's own per-process prefix is not meant for secondaries.
 */
export function sharesInstance(options: EalOptions): boolean {
  if (options.noSharedConfig || options.inMemory || options.noHuge) return false;
  return options.processType !== undefined || options.filePrefix !== undefined;
}

/** The Eal-wide part of the policy beyond files and shell commands. */
export function devargsGuards(
  options: EalOptions,
  attached: (name: string) => boolean,
): Omit<DevargsPolicy, 'ownFiles' | 'overwriteFiles' | 'allowShellCommands'> {
  const { devargsPaths, devargsBudgetMb, sysfs } = policyOptions(options);
  // DPDK loads PMD libraries in rte_eal_init only (its PMD folder, -d), and the Eal makes this
  // policy after it: the libraries mapped at the first attach are the Eal's for good. Read once,
  // also when none are (a FakeDpdk, a static DPDK), where loadedDrivers' own cache keeps nothing.
  let drivers: readonly RegisteredDriver[] | undefined;
  return {
    devargsPaths,
    nonPortDevices: options.nonPortDevices === true,
    captureDevices: options.captureDevices === true,
    devargsBudgetMb,
    pciClass: pciClassReader(sysfs),
    drivers: () => {
      drivers ??= loadedDrivers();
      return drivers;
    },
    attached,
    memifListeners: new Map<string, string>(),
    multiProcess: sharesInstance(options),
  };
}

/** The Eal's policy with one attach's options over it. */
export function attachPolicy<P extends DevargsPolicy>(policy: P, options: AttachOptions): P {
  if (options.overwriteFiles === undefined && options.captureDevices === undefined) return policy;
  return {
    ...policy,
    ...(options.overwriteFiles === undefined ? {} : { overwriteFiles: options.overwriteFiles }),
    ...(options.captureDevices === undefined ? {} : { captureDevices: options.captureDevices }),
  };
}

/** A device attached: a memif server's socket is remembered (net_memif keeps its listener). */
export function rememberAttached(
  policy: DevargsPolicy,
  d: Partial<Pick<Devargs, 'name' | 'memifServerSocket'>>,
) {
  if (d.memifServerSocket && d.name && policy.memifListeners instanceof Map)
    policy.memifListeners.set(d.name, d.memifServerSocket);
}
