import { readFileSync } from 'node:fs';
import { parseDevargs } from './devargs.js';
import { driverPath } from './drivers.js';
import { InvalidInputError } from './errors.js';
import type { EalOptions, LogLevel } from './types.js';

const LOG_LEVELS: Record<LogLevel, number> = {
  emergency: 1,
  alert: 2,
  critical: 3,
  error: 4,
  warning: 5,
  notice: 6,
  info: 7,
  debug: 8,
};

function bad(option: string, why: string): InvalidInputError {
  return new InvalidInputError('INVALID_OPTION', `Invalid EAL option ${option}: ${why}`);
}

/** The first CPU this process may run on, from /proc/self/status. */
export function firstAllowedCpu(status = readFileSync('/proc/self/status', 'utf8')): number {
  const m = /^Cpus_allowed_list:\s*(\d+)/m.exec(status);
  return m ? Number(m[1]) : 0;
}

/** EAL argv (without argv[0]) for the options, each checked; throws INVALID_OPTION. */
export function ealArgs(options: EalOptions): string[] {
  const args: string[] = [];
  const { lcores = [firstAllowedCpu()] } = options;
  if (typeof lcores === 'string') {
    if (!/^[0-9,\-@()]+$/.test(lcores))
      throw bad('lcores', `${JSON.stringify(lcores)} is not an lcore list such as "0-1"`);
    args.push('-l', lcores);
  } else {
    if (lcores.length === 0 || !lcores.every((c) => Number.isInteger(c) && c >= 0 && c < 1024)) {
      throw bad('lcores', 'give at least one CPU number (0 … 1023)');
    }
    args.push('-l', lcores.join(','));
  }
  if (options.memoryMb !== undefined) {
    if (!Number.isInteger(options.memoryMb) || options.memoryMb <= 0)
      throw bad('memoryMb', 'must be a positive integer');
    args.push('-m', String(options.memoryMb));
  }
  if (options.noHuge && options.inMemory) {
    throw bad('inMemory', 'DPDK refuses --in-memory together with --no-huge; --no-huge alone keeps no files');
  }
  if (options.noHuge) args.push('--no-huge');
  if (options.inMemory) args.push('--in-memory');
  if (options.noPci) args.push('--no-pci');
  if (options.noSharedConfig) args.push('--no-shconf');
  for (const vdev of options.vdevs ?? []) {
    const d = parseDevargs(vdev);
    if (d.bus !== 'vdev') throw bad('vdevs', `${JSON.stringify(vdev)} is a PCI address; put it in allow`);
    args.push('--vdev', d.devargs);
  }
  for (const [flag, list, name] of [
    ['-a', options.allow, 'allow'],
    ['-b', options.block, 'block'],
  ] as const) {
    for (const item of list ?? []) {
      const d = parseDevargs(item);
      if (d.bus !== 'pci') throw bad(name, `${JSON.stringify(item)} is not a PCI address`);
      args.push(flag, d.devargs);
    }
  }
  if (options.filePrefix !== undefined) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(options.filePrefix)) {
      throw bad('filePrefix', 'use 1 to 64 letters, digits, dots, dashes or underscores');
    }
    args.push('--file-prefix', options.filePrefix);
  }
  if (options.iovaMode) {
    if (options.iovaMode !== 'pa' && options.iovaMode !== 'va') throw bad('iovaMode', 'must be "pa" or "va"');
    args.push('--iova-mode', options.iovaMode);
  }
  if (options.processType) args.push('--proc-type', options.processType);
  const level = options.logLevel ?? 'notice';
  if (!(level in LOG_LEVELS)) throw bad('logLevel', `must be one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  args.push(`--log-level=${LOG_LEVELS[level]}`);
  for (const extra of options.extraArgs ?? []) {
    if (typeof extra !== 'string' || extra.includes('\0'))
      throw bad('extraArgs', 'must be strings without NUL');
    args.push(extra);
  }
  for (const driver of options.drivers ?? []) args.push('-d', driverPath(driver));
  return args;
}
