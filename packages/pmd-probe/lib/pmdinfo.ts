import { readFileSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { currentDpdk, type DpdkInstall, findDpdk, isHotplugError } from '@dpdk-hotplug/ethdev';
import { findStrings, type PrefixPlacement, readElf } from './elf.js';
import { ProbeError } from './errors.js';

/** A PCI id a PMD claims; a field is absent where the PMD matches any value (0xffff). */
export interface PciId {
  vendor?: string;
  device?: string;
  subsystem_vendor?: string;
  subsystem_device?: string;
}

/**
 * One driver's PMD_INFO_STRING, as dpdk-pmdinfo.py prints it (ids as 4-digit hex, wildcards
 * dropped, empty id lists dropped), plus the file it came from.
 */
export interface PmdInfo {
  name: string;
  /** Kernel modules the device must be bound to, e.g. `* igb_uio | uio_pci_generic | vfio-pci`. */
  kmod?: string;
  pci_ids?: PciId[];
  /** Device arguments the PMD takes, e.g. `size=<int> copy=<int>`. */
  params?: string;
  file: string;
  [field: string]: unknown;
}

export interface PmdInfoScan {
  /** What was scanned: the directory, or the files given. */
  target: string;
  /** ELF files read (symlinks to the same file count once). */
  files: string[];
  drivers: PmdInfo[];
  /** Files that were not ELF or could not be read; the scan goes on past them. */
  skipped: Array<{ file: string; reason: string }>;
}

const PCI_FIELDS = ['vendor', 'device', 'subsystem_vendor', 'subsystem_device'] as const;
const LIB_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/local/lib',
  '/lib64',
  '/usr/lib64',
  '/usr/lib',
];

function scrub(raw: Record<string, unknown>, file: string): PmdInfo {
  const { pci_ids, ...rest } = raw;
  const info = { ...rest, file } as PmdInfo;
  const ids: PciId[] = [];
  for (const fields of (pci_ids as number[][] | undefined) ?? []) {
    const id: PciId = {};
    PCI_FIELDS.forEach((name, i) => {
      const v = fields[i];
      if (v !== undefined && v !== 0xffff) id[name] = v.toString(16).padStart(4, '0');
    });
    if (Object.keys(id).length) ids.push(id);
  }
  if (ids.length) info.pci_ids = ids;
  return info;
}

const libCache = new Map<string, Promise<string | null>>();

function findLib(name: string, near: string, libdir?: string): Promise<string | null> {
  const key = `${near}\0${libdir}\0${name}`;
  let found = libCache.get(key);
  if (!found) {
    found = searchLib(name, [near, ...(libdir ? [libdir] : []), ...LIB_DIRS]);
    libCache.set(key, found);
  }
  return found;
}

async function searchLib(name: string, dirs: string[]): Promise<string | null> {
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      if ((await stat(p)).isFile()) return await realpath(p);
    } catch {}
  }
  return null;
}

/** What one read of an ELF file gives: the librte_* libraries it needs and its PMD records. */
interface Inspected {
  needed: string[];
  drivers: PmdInfo[];
}

/** The stable releases that got 93389614bf (see below): `24.11` from 24.11.5, … */
const PREFIX_ANYWHERE_SINCE_STABLE: Readonly<Record<string, number>> = {
  '23.11': 7,
  '24.11': 5,
  '25.11': 1,
};

/**
 * Where the dpdk-pmdinfo.py of DPDK `version` takes `PMD_INFO_STRING=` from in a printable run of
 * .rodata. DPDK's commit 93389614bf ("usertools/pmdinfo: fix search for PMD info string",
 * 17 February 2026) changed `s.startswith(prefix)` to `s.find(prefix)`, because the compiler may
 * place the string right after other printable bytes and the script then missed the driver's
 * record. It is in 26.03 (from 26.03-rc2) and every later release, and was backported to the
 * stable releases 23.11.7, 24.11.5 and 25.11.1. Every 22.11 (the last, 22.11.11, is from December
 * 2025) and the releases between LTS ones (23.03, 23.07, 24.03, 24.07, 25.03, 25.07) keep
 * `startswith`. Read from usertools/dpdk-pmdinfo.py at DPDK's tags, each tag's script run on the
 * test's small ELF; Debian's 22.11.11, 24.11.8 and 25.11.4 scripts agree.
 * Without a DPDK to follow (`undefined`), today's script's rule.
 */
export function pmdInfoPrefixPlacement(version: string | undefined): PrefixPlacement {
  const m = version === undefined ? null : /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return 'anywhere';
  const [year, month, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (year > 26 || (year === 26 && month >= 3)) return 'anywhere';
  const since = PREFIX_ANYWHERE_SINCE_STABLE[`${year}.${month}`];
  return since !== undefined && patch >= since ? 'anywhere' : 'run-start';
}

async function inspectFile(file: string, placement: PrefixPlacement): Promise<Inspected> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (cause) {
    throw new ProbeError('NOT_FOUND', `cannot read ${file}`, { file, cause });
  }
  return inspectBuffer(buf, file, placement);
}

function inspectBuffer(buf: Buffer, file: string, placement: PrefixPlacement): Inspected {
  const elf = readElf(buf, file);
  const rodata = elf.section('.rodata');
  const drivers = (rodata ? findStrings(rodata, 'PMD_INFO_STRING=', placement) : []).flatMap((s) => {
    try {
      return [scrub(JSON.parse(s), file)];
    } catch {
      return []; // invalid JSON: dpdk-pmdinfo.py warns and skips it too
    }
  });
  return { needed: elf.needed().filter((n) => n.startsWith('librte_')), drivers };
}

/** The file and the librte_* libraries it needs, transitively (what dpdk-pmdinfo.py reads via ldd). */
async function withNeeded(
  file: string,
  inspect: (f: string) => Promise<Inspected>,
  libdir?: string,
): Promise<string[]> {
  const seen = new Set<string>([file]);
  const queue = [file];
  while (queue.length) {
    const f = queue.shift()!;
    const needed = await inspect(f).then(
      (r) => r.needed,
      () => [],
    );
    for (const n of needed) {
      const lib = await findLib(n, dirname(f), libdir);
      if (lib && !seen.has(lib)) {
        seen.add(lib);
        queue.push(lib);
      }
    }
  }
  return [...seen];
}

/**
 * The PMD_INFO_STRING records in one ELF file's .rodata, as the dpdk-pmdinfo.py of the selected
 * DPDK reads them (`dpdk: PREFIX` picks another).
 */
export async function readPmdInfoFile(file: string, options: { dpdk?: string } = {}): Promise<PmdInfo[]> {
  return (await inspectFile(file, pmdInfoPrefixPlacement(optionalDpdk(options.dpdk)?.version))).drivers;
}

/**
 * `readPmdInfoFile`, synchronously: for a command line's checks before anything runs (certify's
 * and probe's `--driver`). Throws NOT_FOUND or NOT_ELF.
 */
export function readPmdInfoFileSync(file: string, options: { dpdk?: string } = {}): PmdInfo[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (cause) {
    throw new ProbeError('NOT_FOUND', `cannot read ${file}`, { file, cause });
  }
  return inspectBuffer(buf, file, pmdInfoPrefixPlacement(optionalDpdk(options.dpdk)?.version)).drivers;
}

/**
 * The DPDK to read: the one under `prefix`, else the one the SDK selects (`DPDK_HOTPLUG_DPDK`,
 * else pkg-config's libdpdk). Its errors become NO_DPDK.
 */
export function dpdkFor(prefix?: string): DpdkInstall {
  try {
    return prefix === undefined ? currentDpdk() : findDpdk(prefix);
  } catch (e) {
    if (isHotplugError(e)) throw new ProbeError('NO_DPDK', e.message, { cause: e });
    throw e;
  }
}

/** The DPDK under `prefix` if given (its errors thrown), else the selected one, if any. */
function optionalDpdk(prefix?: string): DpdkInstall | undefined {
  try {
    return dpdkFor(prefix);
  } catch (e) {
    if (prefix !== undefined) throw e;
    return undefined;
  }
}

/**
 * The folder that DPDK's EAL loads PMDs from: the DPDK_PLUGIN_PATH string in its librte_eal's
 * .rodata (what `dpdk-pmdinfo.py -p` reads).
 */
export async function installedPmdDir(prefix?: string): Promise<string> {
  const dpdk = dpdkFor(prefix);
  if (dpdk.pmdDir) return dpdk.pmdDir;
  throw new ProbeError(
    'NO_DPDK',
    `DPDK ${dpdk.version} at ${dpdk.prefix}: its librte_eal names no PMD folder (DPDK_PLUGIN_PATH)`,
    {},
  );
}

async function elfFilesIn(dir: string): Promise<string[]> {
  const real = new Set<string>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    if (!/\.so(\.\d+)*$/.test(entry.name)) continue;
    try {
      const r = await realpath(p);
      if ((await stat(r)).isFile()) real.add(r);
    } catch {}
  }
  return [...real].sort();
}

/**
 * Reads PMD_INFO_STRING records from a file, a directory of PMDs, or the selected DPDK's plugin
 * directory (`'installed'`; `dpdk: PREFIX` picks another), by that DPDK's dpdk-pmdinfo.py's rules
 * (`pmdInfoPrefixPlacement`). With `followNeeded`, a file's librte_* dependencies are read too, as
 * dpdk-pmdinfo.py does, looked up in that DPDK's libdir first.
 */
export async function scanPmdInfo(
  target: string | string[],
  options: { followNeeded?: boolean; dpdk?: string } = {},
): Promise<PmdInfoScan> {
  const targets = Array.isArray(target) ? target : [target];
  const files = new Set<string>();
  const label = Array.isArray(target) ? target.join(' ') : target;
  // Records are read by that DPDK's script's rule; dependencies come from its libdir when there
  // is one, else the system's.
  const dpdk = optionalDpdk(options.dpdk);
  const placement = pmdInfoPrefixPlacement(dpdk?.version);
  const libdir = dpdk?.libdir;
  // Each file is read once, whether it is a target, a dependency, or both.
  const inspected = new Map<string, Promise<Inspected>>();
  const inspect = (f: string) => {
    let r = inspected.get(f);
    if (!r) {
      r = inspectFile(f, placement);
      r.catch(() => {}); // awaited later, where a bad file becomes a skipped one
      inspected.set(f, r);
    }
    return r;
  };
  for (const t of targets) {
    const path = t === 'installed' ? await installedPmdDir(options.dpdk) : t;
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(path);
    } catch (cause) {
      throw new ProbeError('NOT_FOUND', `${path}: no such file or directory`, { file: path, cause });
    }
    const found = s.isDirectory() ? await elfFilesIn(path) : [await realpath(path)];
    for (const f of found) {
      if (options.followNeeded) for (const n of await withNeeded(f, inspect, libdir)) files.add(n);
      else files.add(f);
    }
  }
  const scan: PmdInfoScan = { target: label, files: [], drivers: [], skipped: [] };
  const results = await Promise.all(
    [...files].map(async (file) => {
      try {
        return { file, drivers: (await inspect(file)).drivers };
      } catch (e) {
        return { file, error: (e as Error).message };
      }
    }),
  );
  for (const r of results) {
    if ('error' in r) scan.skipped.push({ file: r.file, reason: r.error! });
    else {
      scan.files.push(r.file);
      scan.drivers.push(...r.drivers);
    }
  }
  return scan;
}

/** `* igb_uio | uio_pci_generic | vfio-pci` → [['igb_uio'], ['uio_pci_generic'], ['vfio-pci']]: any one alternative, all modules of it. */
export function parseKmod(kmod: string | undefined): string[][] {
  if (!kmod) return [];
  return kmod
    .replace(/^\s*\*\s*/, '')
    .split('|')
    .map((alt) =>
      alt
        .split('&')
        .map((m) => m.trim())
        .filter(Boolean),
    )
    .filter((alt) => alt.length > 0);
}

export interface DriverMatch {
  driver: PmdInfo;
  /** How specific the matching id is: subsystem ids count more than a vendor-only id. */
  specificity: number;
  kernelModules: string[][];
}

/** Which PMDs claim vendor:device (optionally the subsystem ids), most specific first. */
export function driversFor(
  drivers: readonly PmdInfo[],
  id: { vendor: string; device: string; subsystem_vendor?: string; subsystem_device?: string },
): DriverMatch[] {
  const want = Object.fromEntries(
    Object.entries(id).map(([k, v]) => [k, v?.toLowerCase().replace(/^0x/, '').padStart(4, '0')]),
  );
  const out: DriverMatch[] = [];
  for (const driver of drivers) {
    let best = -1;
    for (const pci of driver.pci_ids ?? []) {
      const fields = PCI_FIELDS.filter((f) => pci[f] !== undefined);
      if (
        fields.every((f) => want[f] === undefined || want[f] === pci[f]) &&
        fields.some((f) => want[f] !== undefined)
      ) {
        best = Math.max(best, fields.filter((f) => want[f] !== undefined).length);
      }
    }
    if (best >= 0) out.push({ driver, specificity: best, kernelModules: parseKmod(driver.kmod) });
  }
  return out.sort((a, b) => b.specificity - a.specificity);
}
