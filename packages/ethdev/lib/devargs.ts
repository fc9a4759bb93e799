import { basename } from 'node:path';
import { checkRingBudget, DEFAULT_DEVARGS_BUDGET_MB, type RingAsk } from './devargs-budget.js';
import { checkDevargsPath, type Refuse } from './devargs-paths.js';
import { nearestKey, type RegisteredDriver, vdevDriver } from './device-class.js';
import { InvalidInputError } from './errors.js';
import { multiProcessCut } from './multi-process-cut.js';
import { describePciClass, PCI_NETWORK_CLASS } from './pci-class.js';
import {
  checkPmdArgs,
  type DevargsFile,
  driverOf,
  failsafeParams,
  kvargsPairs,
  type PmdArgsFindings,
  type ProbedDevice,
} from './pmd-args.js';

export type { DevargsFile } from './pmd-args.js';

/** A device string as the SDK understands it, checked before DPDK sees it. */
export interface Devargs {
  /** What the caller passed. */
  readonly input: string;
  /** The bus the device string names: a PCI address, or a virtual device. */
  readonly bus: 'pci' | 'vdev';
  /** The device name DPDK gives the device: canonical BDF (`0000:01:00.0`) or vdev name. */
  readonly name: string;
  /** PMD arguments after the first comma, as given ('' when none). */
  readonly args: string;
  /** What is passed to `rte_dev_probe`: the name in canonical form, then the arguments. */
  readonly devargs: string;
  /** Commands failsafe `exec(...)` sub-devices would run (refused unless allowed). */
  readonly shellCommands: readonly string[];
  /** Files and sockets the PMDs would use (pcap's rx_pcap, vhost's iface …), checked at each call. */
  readonly files: readonly DevargsFile[];
  /** Failsafe's `dev(...)` sub-devices. */
  readonly subDevices: readonly ProbedDevice[];
  /** A memif client's socket (memif's default when it ignores its arguments), for kept listeners. */
  readonly memifClientSocket?: {
    /** The socket's path (abstract or not, as memif reads it). */
    readonly path: string;
    /** The argument that named it (`socket`), or the default's name. */
    readonly key: string;
  };
  /** A memif server's socket. */
  readonly memifServerSocket?: string;
  /** What each device's rings ask of memory (af_packet, memif), checked against the budget. */
  readonly ringAsks: readonly RingAsk[];
}

/** What a caller allows beyond the default; see `EalOptions`. */
export interface DevargsPolicy {
  /** Let failsafe's `exec(...)` run its shell command. */
  readonly allowShellCommands?: boolean;
  /** Let a PMD truncate an existing file (tx_pcap). */
  readonly overwriteFiles?: boolean;
  /** Absolute paths of files this process's PMDs made, which they may write again. */
  readonly ownFiles?: ReadonlySet<string>;
  /** Folders a devargs may read or write; undefined: anywhere (see devargs-paths.ts). */
  readonly devargsPaths?: readonly string[];
  /** The drivers DPDK registered (device-class.ts); without them no class check is made. */
  readonly drivers?: () => readonly RegisteredDriver[];
  /** Probe devices of other classes than net (no ethdev port), held to their registered keys. */
  readonly nonPortDevices?: boolean;
  /** Whether a device is attached now: a failsafe may not take one unless `captureDevices`. */
  readonly attached?: (name: string) => boolean;
  /** Let a failsafe take a device that is attached (`EalOptions.captureDevices`). */
  readonly captureDevices?: boolean;
  /** A PCI device's class code (pci-class.ts); without it PCI devices are not class-checked. */
  readonly pciClass?: (address: string) => number | undefined;
  /** The MiB one device's rings may ask (devargs-budget.ts); default DEFAULT_DEVARGS_BUDGET_MB. */
  readonly devargsBudgetMb?: number;
  /** memif server sockets this process's devices listened on, by device name (memif keeps them). */
  readonly memifListeners?: ReadonlyMap<string, string>;
  /** Other processes share the instance: refuse what DPDK would cut for them (multi-process-cut.ts). */
  readonly multiProcess?: boolean;
}

// RTE_DEV_NAME_MAX_LEN is 64 with the NUL.
export const MAX_DEVICE_NAME = 63;
// DPDK sets no limit; this one keeps a runaway string out of the PMD's parsers.
export const MAX_DEVARGS = 4096;

const BDF = /^(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-9a-f]+)$/i;
// A driver name (net_null, eth_pcap, crypto_aesni_mb …) followed by an instance suffix.
const VDEV_NAME = /^[a-z][a-z0-9_.-]*$/i;

function invalid(
  input: string,
  why: string,
  code: 'INVALID_DEVARGS' | 'INVALID_PCI_ADDRESS' = 'INVALID_DEVARGS',
  key?: string,
) {
  const shown = input.length > 80 ? `${input.slice(0, 77)}...` : input;
  return new InvalidInputError(code, `Invalid devargs ${JSON.stringify(shown)}: ${why}`, {
    devargs: input,
    key,
  });
}

/** The canonical form of a PCI address (`01:00.0` → `0000:01:00.0`), or undefined. */
export function canonicalPciAddress(text: string): string | undefined {
  const m = BDF.exec(text);
  if (!m) return undefined;
  const [domain, bus, dev, fn] = [m[1] ?? '0', m[2]!, m[3]!, m[4]!].map((h) => Number.parseInt(h, 16)) as [
    number,
    number,
    number,
    number,
  ];
  if (dev > 0x1f || fn > 7) return undefined;
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(dev, 2)}.${fn}`;
}

/**
 * Checks and classifies a device string: a PCI address (`0000:01:00.0`, `01:00.0`, with
 * optional `,key=value` PMD arguments) or a vdev string (`net_pcap0,iface=eth0`; the legacy
 * `eth_pcap0` spelling too, which DPDK's vdev bus still resolves through driver aliases).
 * Refuses what would crash, hang or misuse the process (`HAZARDOUS_DEVARGS`): keys without a
 * value, failsafe's `exec(...)` unless `policy.allowShellCommands`, pcap files that are not
 * regular files, an existing tx_pcap file unless `policy.overwriteFiles`.
 * Throws {@link InvalidInputError} naming what is wrong (and `key`, the argument).
 */
export function parseDevargs(input: unknown, policy: DevargsPolicy = {}): Devargs {
  // Apps attach the same few devices over and over: parsing is pure, so remember the answers;
  // only what depends on the policy or the file system is checked at each call.
  const entry = (typeof input === 'string' ? parsed.get(input) : undefined) ?? parsedAnew(input);
  const result = entry.devargs;
  if (entry.plain) {
    // No exec(...), sub-device, memif socket, ring or file: the checks of any device string only.
    if (policy.attached?.(result.name)) return result;
    if (policy.multiProcess) checkMultiProcess(entry);
    if (result.bus === 'vdev') {
      if (policy.drivers && !classesPassed(entry, policy)) checkDeviceClasses(entry, policy);
    } else if (policy.pciClass && !policy.nonPortDevices) checkPciClass(result, policy.pciClass);
    return result;
  }
  return checkedInFull(entry, policy);
}

/** Parses a devargs the cache does not hold, and remembers it. */
function parsedAnew(input: unknown): Parsed {
  const entry = parsedEntry(parse(input));
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(entry.devargs.input, entry);
  return entry;
}

function checkMultiProcess({ devargs, refuse }: Parsed): void {
  const cut = multiProcessCut(devargs);
  if (cut) refuse(cut.why, cut.key);
}

/** parseDevargs' checks of a devargs that names anything beyond its device (not `plain`). */
function checkedInFull(entry: Parsed, policy: DevargsPolicy): Devargs {
  const result = entry.devargs;
  if (result.shellCommands.length > 0 && !policy.allowShellCommands) {
    throw invalid(
      result.input,
      `exec(...) runs the shell command ${JSON.stringify(result.shellCommands[0])} to find a sub-device; Eal.init({ allowShellCommandsInDevargs: true }) allows it`,
      'INVALID_DEVARGS',
      'exec(...)',
    );
  }
  // The device itself is attached: the caller refuses that as ALREADY_ATTACHED before any probe.
  // Its files and sub-devices are its own by now (vhost's live socket, failsafe's sub-device), so
  // the checks below, about what a new probe would do, do not apply.
  if (policy.attached?.(result.name)) return result;
  const refuse = entry.refuse;
  if (policy.multiProcess) checkMultiProcess(entry);
  if (result.bus === 'vdev' && policy.drivers && !classesPassed(entry, policy))
    checkDeviceClasses(entry, policy);
  if (result.bus === 'pci' && policy.pciClass && !policy.nonPortDevices)
    checkPciClass(result, policy.pciClass);
  if (result.subDevices.length > 0 && policy.attached && !policy.captureDevices) {
    const taken = result.subDevices.find((s) => policy.attached!(s.name));
    if (taken)
      refuse(
        `${taken.name} is attached: failsafe would take it over and remove it with itself; pass captureDevices: true to allow`,
        'dev(...)',
      );
  }
  const client = result.memifClientSocket;
  if (client && policy.memifListeners) {
    for (const [device, socket] of policy.memifListeners) {
      if (socket === client.path && !policy.attached?.(device))
        refuse(
          `a memif client on ${client.path}, the listener ${device} kept after its detach (net_memif keeps it): the client joins a dead server and DPDK's cleanup crashes (SIGSEGV)${client.key === 'socket' || client.key === 'role' ? '' : `; memif ignores every argument when one is unknown (${client.key}), and goes on as a client on its default socket`}`,
          client.key,
        );
    }
  }
  if (result.ringAsks.length > 0)
    checkRingBudget(result.ringAsks, policy.devargsBudgetMb ?? DEFAULT_DEVARGS_BUDGET_MB, refuse);
  for (const file of result.files) checkDevargsPath(file, policy, refuse);
  return result;
}

/**
 * A parse, remembered with what each attach of it needs again: its refusal (INVALID_DEVARGS
 * naming the key), made once so that an attach that passes allocates none, and what its device
 * classes passed against (see checkDeviceClasses). One Map look-up per attach finds them all.
 */
interface Parsed {
  readonly devargs: Devargs;
  readonly refuse: Refuse;
  /** Names nothing but its device: no exec(...), sub-device, memif socket, ring or file. */
  readonly plain: boolean;
  classesPassed?: { readonly drivers: readonly RegisteredDriver[]; readonly nonPortDevices: boolean };
}

function parsedEntry(d: Devargs): Parsed {
  return {
    devargs: d,
    refuse: (why, key) => {
      throw invalid(d.input, why, 'INVALID_DEVARGS', key);
    },
    plain:
      d.shellCommands.length === 0 &&
      d.subDevices.length === 0 &&
      d.memifClientSocket === undefined &&
      d.ringAsks.length === 0 &&
      d.files.length === 0,
  };
}

/** Whether a devargs passed the class check against this very driver list (see checkDeviceClasses). */
function classesPassed(entry: Parsed, policy: DevargsPolicy): boolean {
  const passed = entry.classesPassed;
  return (
    passed !== undefined &&
    passed.drivers === policy.drivers!() &&
    passed.nonPortDevices === (policy.nonPortDevices === true)
  );
}

/**
 * Only drivers of the net class make ethdev ports: others (baseband, compress, crypto, event …)
 * are refused unless `nonPortDevices`, and then held to the keys their registration names (they
 * crashed on any other: baseband_null0,x=1).
 */
function checkDeviceClasses(entry: Parsed, policy: DevargsPolicy) {
  const { devargs: d, refuse } = entry;
  const drivers = policy.drivers!();
  if (drivers.length === 0) return; // no PMD loaded (a fake DPDK): nothing to tell from
  // The answer depends on the parse, the driver list and nonPortDevices only (no file system):
  // a devargs that passed against this very list is not checked again at each attach
  // (classesPassed, which parseDevargs asks first).
  const nonPortDevices = policy.nonPortDevices === true;
  for (const device of [{ name: d.name, keys: kvargsPairs(d.args).map(([k]) => k) }, ...d.subDevices]) {
    const driver = vdevDriver(device.name, drivers);
    if (!driver) continue; // DPDK finds no driver either: UNKNOWN_DRIVER
    if (driver.deviceClass === 'net') continue;
    if (!policy.nonPortDevices) {
      throw new InvalidInputError(
        'NOT_A_PORT_DEVICE',
        `Invalid devargs ${JSON.stringify(d.input)}: ${driver.name} is a ${driver.deviceClass} driver (${basename(driver.library)}), which makes no ethdev port; Eal.init({ nonPortDevices: true }) allows it`,
        { devargs: d.input, device: device.name },
      );
    }
    for (const key of device.keys) {
      if (driver.keys.includes(key)) continue;
      const near = nearestKey(key, driver.keys);
      const known = driver.keys.length > 0 ? `takes ${driver.keys.join(', ')}` : 'takes no arguments';
      refuse(
        `${JSON.stringify(key)} is not a key of ${driver.name}: ${driver.name} ${known}${near ? `; did you mean ${near}?` : ''}`,
        key,
      );
    }
    if (driver.deviceClass === 'event' && device.keys.includes('self_test'))
      refuse(
        `${driver.name}'s self_test runs DPDK's unit test in the probe (event_opdl's crashes)`,
        'self_test',
      );
  }
  entry.classesPassed = { drivers, nonPortDevices };
}

/** A PCI device that is not a network controller makes no port: refused before DPDK probes it. */
function checkPciClass(d: Devargs, pciClass: (address: string) => number | undefined) {
  const code = pciClass(d.name);
  if (code === undefined || code >> 16 === PCI_NETWORK_CLASS) return;
  throw new InvalidInputError(
    'NOT_A_PORT_DEVICE',
    `Invalid devargs ${JSON.stringify(d.input)}: ${d.name} is a PCI device of class ${describePciClass(code)}, not a network controller (0x02xxxx), so no ethdev port; Eal.init({ nonPortDevices: true }) allows it`,
    { devargs: d.input, device: d.name },
  );
}

const PARSED_MAX = 256;
const parsed = new Map<string, Parsed>();

function parse(input: unknown): Devargs {
  if (typeof input !== 'string') {
    throw new InvalidInputError('INVALID_DEVARGS', `devargs must be a string, got ${describe(input)}`);
  }
  const d = parseName(input, input);
  const found: PmdArgsFindings = { shellCommands: [], files: [], subDevices: [], ringAsks: [] };
  const refuse = (why: string, key: string): never => {
    throw invalid(input, why, 'INVALID_DEVARGS', key);
  };
  // A failsafe sub-device (`dev(net_null0,size=64)`) is a device string of its own.
  const sub = (devargs: string) => {
    const s = parseName(devargs, input);
    return { driver: s.bus === 'vdev' ? driverOf(s.name) : undefined, name: s.name, args: s.args };
  };
  checkPmdArgs(d.bus === 'vdev' ? driverOf(d.name) : undefined, d.name, d.args, found, refuse, sub);
  Object.freeze(found.files);
  Object.freeze(found.shellCommands);
  Object.freeze(found.subDevices);
  Object.freeze(found.ringAsks);
  const devargs = d.bus === 'vdev' ? input : d.args ? `${d.name},${d.args}` : d.name;
  return Object.freeze({ input, ...d, devargs, ...found });
}

/** A devargs split as {@link parseDevargs} splits it, without its checks. */
export interface SplitDevargs {
  /** The bus the name belongs to: a PCI address, or a vdev. */
  readonly bus: 'pci' | 'vdev';
  /** The device name, before the first comma (as given: a PCI address is not made canonical). */
  readonly name: string;
  /** The driver's arguments, after the first comma ('' when none). */
  readonly args: string;
  /** The whole devargs, as rte_dev_probe gets it. */
  readonly devargs: string;
  /** Failsafe's `dev(...)` sub-devices, split the same way: their names and arguments. */
  readonly subDevices: readonly Pick<ProbedDevice, 'name' | 'args'>[];
}

/**
 * Splits a devargs where {@link parseDevargs} splits it (name before the first comma, arguments
 * after) and checks nothing: for other programs' devargs (testpmd's), which the SDK does not probe.
 */
export function splitDevargs(devargs: string): SplitDevargs {
  const comma = devargs.indexOf(',');
  const name = comma < 0 ? devargs : devargs.slice(0, comma);
  const bus = canonicalPciAddress(name) ? 'pci' : 'vdev';
  const args = comma < 0 ? '' : devargs.slice(comma + 1);
  const subDevices =
    bus === 'vdev' && driverOf(name) === 'net_failsafe'
      ? failsafeParams(args).flatMap((p) => {
          if (!('group' in p) || p.group !== 'dev') return [];
          const sub = splitDevargs(p.body);
          return [{ name: sub.name, args: sub.args }];
        })
      : [];
  return { bus, name, args, devargs, subDevices };
}

/** A name DPDK's buses would read as a PCI address (or a broken one), not a vdev name. */
function looksPci(name: string): boolean {
  return name.includes(':') || /^[0-9a-f]{1,2}\.[0-9a-f]/i.test(name);
}

/** The bus, device name and arguments of `text` (the input, or a sub-device of `input`). */
function parseName(text: string, input: string): { bus: 'pci' | 'vdev'; name: string; args: string } {
  const where = text === input ? '' : `sub-device ${JSON.stringify(text)}: `;
  const fail = (why: string, code?: 'INVALID_PCI_ADDRESS') => invalid(input, where + why, code);
  if (text.trim() === '') throw fail('it is empty; give a PCI address or a vdev name');
  if (text.length > MAX_DEVARGS) throw fail(`it is ${text.length} characters long, over ${MAX_DEVARGS}`);
  if (text !== text.trim()) throw fail('it has leading or trailing white space');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
  if (/[\u0000-\u001f\u007f]/.test(text)) throw fail('it contains control characters');

  const { name: rawName, args } = splitDevargs(text);
  if (rawName === '') throw fail('the device name before the first comma is empty');
  if (/\s/.test(rawName)) throw fail('the device name contains white space');

  if (looksPci(rawName)) {
    const name = canonicalPciAddress(rawName);
    if (!name) {
      throw fail(
        `${JSON.stringify(rawName)} is not a PCI address (domain:bus:device.function, e.g. 0000:01:00.0)`,
        'INVALID_PCI_ADDRESS',
      );
    }
    return { bus: 'pci', name, args };
  }
  if (rawName.length > MAX_DEVICE_NAME) {
    throw fail(`the device name is ${rawName.length} characters long; DPDK allows ${MAX_DEVICE_NAME}`);
  }
  if (!VDEV_NAME.test(rawName)) {
    throw fail(`${JSON.stringify(rawName)} is neither a PCI address nor a vdev name such as net_null0`);
  }
  return { bus: 'vdev', name: rawName, args };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
