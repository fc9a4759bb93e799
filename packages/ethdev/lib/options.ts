/**
 * The one place every options object of the SDK is checked: unknown keys (with the name meant,
 * for a near miss), types, ranges, and non-objects throw INVALID_OPTION naming the key, before
 * DPDK sees anything. Checked options come back as a fresh object of own keys only.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { isAbsolute } from 'node:path';
import { extraArgsProblem } from './eal-flags.js';
import { InvalidInputError } from './errors.js';
import type {
  AsyncOptions,
  AttachOptions,
  ConfigureOptions,
  DetachOptions,
  EalOptions,
  LogLevel,
} from './types.js';

/** Why a value is wrong, or undefined when it is right. */
export type Check = (value: unknown) => string | undefined;
export interface Field {
  readonly check: Check;
  /** Other spellings people write for it (EAL flags, near names). */
  readonly aliases?: readonly string[];
}
export type Schema = Readonly<Record<string, Field>>;

export const LOG_LEVELS: Readonly<Record<LogLevel, number>> = Object.freeze({
  emergency: 1,
  alert: 2,
  critical: 3,
  error: 4,
  warning: 5,
  notice: 6,
  info: 7,
  debug: 8,
});
// Debian's DPDK 22.11 build: RTE_MAX_LCORE.
const MAX_LCORE = 128;
const MAX_LIST = 64;
/** A runtime folder's name: no dot first (so never `.` or `..`), no `/`; short enough for socket paths. */
export const FILE_PREFIX = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,31}$/;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}

const bool: Check = (v) => (typeof v === 'boolean' ? undefined : `must be true or false, not ${describe(v)}`);
const int =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `must be an integer from ${min} to ${max}, not ${describe(v)}`;
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v)
      ? undefined
      : `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, not ${describe(v)}`;
const strings =
  (what: string): Check =>
  (v) => {
    if (!Array.isArray(v)) return `must be an array of ${what}, not ${describe(v)}`;
    if (v.length > MAX_LIST) return `has ${v.length} items; at most ${MAX_LIST}`;
    const i = v.findIndex((s) => typeof s !== 'string' || s === '' || s.includes('\0'));
    return i < 0 ? undefined : `item ${i} must be a non-empty string without NUL, not ${describe(v[i])}`;
  };

/** CPUs this process may run on (Cpus_allowed_list in /proc/self/status). */
export function allowedCpus(status = readFileSync('/proc/self/status', 'utf8')): Set<number> {
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  return new Set(list ? expandCpuList(list) : [0]);
}

/** `0-2,5` → [0, 1, 2, 5]; undefined when it is not such a list. */
export function expandCpuList(list: string): number[] | undefined {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) return undefined;
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    for (let c = a; c <= b && cpus.length <= MAX_LCORE; c++) cpus.push(c);
  }
  return cpus;
}

const lcores: Check = (v) => {
  const list = typeof v === 'string' ? expandCpuList(v) : Array.isArray(v) ? v : undefined;
  if (!list || list.length === 0 || !list.every((c) => Number.isInteger(c) && c >= 0)) {
    return `must be CPU numbers ([0, 1]) or a list such as "0-1", not ${describe(v)}`;
  }
  const allowed = allowedCpus();
  const bad = list.find((c: number) => c >= MAX_LCORE || !allowed.has(c));
  if (bad === undefined) return undefined;
  return `CPU ${bad} is not one this process may run on (${[...allowed].join(',')}; DPDK allows < ${MAX_LCORE})`;
};

/**
 * -m's bound: the machine's memory. DPDK 22.11 takes up to 2^20 MB, but with --no-huge -m 1000000
 * or more it dies with SIGSEGV (in rte_eal_init or at cleanup) or runs on for seconds, and no
 * memory the machine does not have can be given to it anyway.
 */
export const maxMemoryMb = () => Math.floor(totalmem() / 2 ** 20);
const memoryMb: Check = (v) => int(1, maxMemoryMb())(v)?.concat(' (MB, at most the memory of this machine)');

const extraArgs: Check = (v) => strings('EAL arguments')(v) ?? extraArgsProblem(v as string[]);

const filePrefix: Check = (v) =>
  typeof v === 'string' && FILE_PREFIX.test(v)
    ? undefined
    : `must be a folder name of 1 to 32 letters, digits, "_", "-" or "." (not first), not ${describe(v)}`;

const absolutePaths: Check = (v) =>
  strings('absolute folder paths')(v) ??
  ((v as string[]).every((p) => isAbsolute(p)) ? undefined : 'must be absolute folder paths');

const absoluteFolder: Check = (v) =>
  typeof v === 'string' && isAbsolute(v) ? undefined : `must be an absolute folder path, not ${describe(v)}`;

const EAL: Schema = {
  lcores: { check: lcores, aliases: ['l', 'lcore', 'cores', 'corelist'] },
  memoryMb: { check: memoryMb, aliases: ['m', 'memory', 'mem', 'memoryMB'] },
  noHuge: { check: bool, aliases: ['no-huge'] },
  noPci: { check: bool, aliases: ['no-pci'] },
  vdevs: { check: strings('device strings'), aliases: ['vdev'] },
  allow: { check: strings('PCI addresses'), aliases: ['a', 'pciAllow', 'allowList', 'whitelist'] },
  block: { check: strings('PCI addresses'), aliases: ['b', 'pciBlock', 'blockList', 'blacklist'] },
  filePrefix: { check: filePrefix, aliases: ['file-prefix', 'prefix'] },
  noSharedConfig: { check: bool, aliases: ['no-shconf', 'noShconf', 'noShConf'] },
  inMemory: { check: bool, aliases: ['in-memory'] },
  iovaMode: { check: oneOf(['pa', 'va']), aliases: ['iova-mode', 'iova'] },
  processType: { check: oneOf(['primary', 'secondary', 'auto']), aliases: ['proc-type', 'procType'] },
  logLevel: { check: oneOf(Object.keys(LOG_LEVELS)), aliases: ['log-level'] },
  logEcho: { check: bool },
  delays: { check: oneOf(['busy', 'sleep']), aliases: ['delay', 'delayMode'] },
  extraArgs: { check: extraArgs, aliases: ['args', 'argv', 'eal'] },
  allowShellCommandsInDevargs: { check: bool, aliases: ['allowExec', 'allowShellCommands'] },
  overwriteFiles: { check: bool, aliases: ['overwrite'] },
  devargsPaths: { check: absolutePaths, aliases: ['devargsFolders', 'allowedPaths'] },
  nonPortDevices: { check: bool, aliases: ['allowNonPortDevices'] },
  captureDevices: { check: bool, aliases: ['capture'] },
  devargsBudgetMb: { check: int(1, 2 ** 20), aliases: ['devargsBudget', 'ringBudgetMb', 'budgetMb'] },
  sysfs: { check: absoluteFolder, aliases: ['sysfsRoot', 'sysRoot'] },
  // Each path is checked where it is used (drivers.ts, dpdk-install.ts), with the file's state.
  drivers: { check: strings('shared-object paths'), aliases: ['d', 'driver', 'pmds', 'plugins'] },
  dpdk: {
    check: (v) =>
      typeof v === 'string' && v !== '' ? undefined : `must be a DPDK install prefix, not ${describe(v)}`,
    aliases: ['dpdkPrefix', 'dpdkDir'],
  },
};

const CONFIGURE: Schema = {
  rxQueues: { check: int(1, 65535), aliases: ['rxq', 'nbRxq'] },
  txQueues: { check: int(1, 65535), aliases: ['txq', 'nbTxq'] },
  rxDescriptors: { check: int(1, 65535), aliases: ['rxd', 'nbRxd'] },
  txDescriptors: { check: int(1, 65535), aliases: ['txd', 'nbTxd'] },
  mbufs: { check: int(1, 1 << 20), aliases: ['mbuf', 'poolSize'] },
  promiscuous: { check: bool, aliases: ['promisc'] },
};

/** attach's and detach's default timeout, and the longest one (1 hour). */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const MAX_TIMEOUT_MS = 3_600_000;
const timeoutMs: Field = { check: int(1, MAX_TIMEOUT_MS), aliases: ['timeout', 'timeoutMS', 'deadlineMs'] };
const signal: Field = {
  check: (v) => (v instanceof AbortSignal ? undefined : `must be an AbortSignal, not ${describe(v)}`),
  aliases: ['abortSignal', 'abort'],
};
const ASYNC: Schema = { timeoutMs, signal };
const DETACH: Schema = { force: { check: bool }, ...ASYNC };
const ATTACH: Schema = {
  overwriteFiles: { check: bool, aliases: ['overwrite'] },
  captureDevices: { check: bool, aliases: ['capture'] },
  ...ASYNC,
};

function bad(what: string, key: string, why: string): InvalidInputError {
  return new InvalidInputError('INVALID_OPTION', `Invalid ${what} option ${key}: ${why}`, { key });
}

/** Checks an options object against a schema; `undefined` is `{}`. */
function check<T>(what: string, value: unknown, schema: Schema): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(
      'INVALID_OPTION',
      `${what} options must be an object, not ${describe(value)}`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!field) {
      const meant = nearMiss(key, schema);
      const hint = meant ? `; did you mean ${meant}?` : `; known: ${Object.keys(schema).join(', ')}`;
      throw new InvalidInputError('INVALID_OPTION', `Unknown ${what} option ${JSON.stringify(key)}${hint}`, {
        key,
      });
    }
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const why = field.check(v);
    if (why) throw bad(what, key, why);
    out[key] = Array.isArray(v) ? Object.freeze([...v]) : v;
  }
  return out as T;
}

/** Checked EAL options, with the rules that tie options together. */
export function checkEalOptions(value: unknown): EalOptions {
  const o = check<EalOptions>('EAL', value, EAL);
  if (o.noHuge && o.inMemory) {
    throw bad('EAL', 'inMemory', 'DPDK refuses --in-memory with --no-huge; --no-huge alone keeps no files');
  }
  if (o.processType === 'secondary' && (o.noSharedConfig || o.inMemory)) {
    const key = o.noSharedConfig ? 'noSharedConfig' : 'inMemory';
    throw bad(
      'EAL',
      key,
      "a secondary process needs the primary's shared config (DPDK's init blocks without it)",
    );
  }
  return o;
}

export const checkConfigureOptions = (v: unknown) => check<ConfigureOptions>('configure', v, CONFIGURE);
export const checkDetachOptions = (v: unknown) => check<DetachOptions>('detach', v, DETACH);
export const checkAttachOptions = (v: unknown) => check<AttachOptions>('attach', v, ATTACH);
/** The options of an async lifecycle call (`what`: `startAsync`, …). */
export const checkAsyncOptions = (what: string, v: unknown) => check<AsyncOptions>(what, v, ASYNC);
export const checkConfigureAsyncOptions = (v: unknown) =>
  check<ConfigureOptions & AsyncOptions>('configureAsync', v, { ...CONFIGURE, ...ASYNC });

const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');

/** The option a mistyped key most likely meant: an alias, a prefix, or within edit distance 2. */
export function nearMiss(key: string, schema: Schema): string | undefined {
  const k = norm(key);
  const names = Object.keys(schema);
  const exact = names.find((n) => norm(n) === k || schema[n]!.aliases?.some((a) => norm(a) === k));
  if (exact) return exact;
  const scored = names
    .map((n) => ({ n, d: levenshtein(k, norm(n)) }))
    .filter(({ n, d }) => d <= Math.min(2, Math.floor(n.length / 3)))
    .sort((a, b) => a.d - b.d);
  if (scored[0]) return scored[0].n;
  return k.length >= 3 ? names.find((n) => norm(n).startsWith(k)) : undefined;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
