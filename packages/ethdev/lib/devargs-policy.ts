/**
 * What an Eal lets a devargs do (EalOptions, AttachOptions), as the DevargsPolicy parseDevargs
 * checks: kept here so that eal.ts only builds it and tells it what attached.
 */

import { isAbsolute } from 'node:path';
import type { Devargs, DevargsPolicy } from './devargs.js';
import { loadedDrivers } from './device-class.js';
import { InvalidInputError } from './errors.js';
import { pciClassReader } from './pci-class.js';
import type { AttachOptions, EalOptions } from './types.js';

/**
 * The default of `devargsPaths` when `Eal.init` is not given one: absolute folders separated by
 * ":" (as PATH), so that a command (certify --devargs-paths) sets it for every process it starts.
 */
export const DEVARGS_PATHS_ENV = 'DPDK_HOTPLUG_DEVARGS_PATHS';

function pathsFromEnv(): string[] | undefined {
  const value = process.env[DEVARGS_PATHS_ENV];
  if (value === undefined || value === '') return undefined;
  const paths = value.split(':').filter((p) => p !== '');
  const bad = paths.find((p) => !isAbsolute(p));
  if (bad !== undefined)
    throw new InvalidInputError(
      'INVALID_OPTION',
      `Invalid ${DEVARGS_PATHS_ENV}: ${JSON.stringify(bad)} is not an absolute folder path`,
      { key: 'devargsPaths' },
    );
  return paths;
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
  return {
    devargsPaths: options.devargsPaths ?? pathsFromEnv(),
    nonPortDevices: options.nonPortDevices === true,
    captureDevices: options.captureDevices === true,
    devargsBudgetMb: options.devargsBudgetMb,
    pciClass: pciClassReader(options.sysfs),
    drivers: loadedDrivers,
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
