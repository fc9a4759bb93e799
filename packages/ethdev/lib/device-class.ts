/**
 * Which class of device a vdev name makes, from the PMDs' own registration: every PMD DPDK loaded
 * (its own folder and `-d`) carries one PMD_INFO_STRING record per driver (`{"name":
 * "baseband_null", "params": "max_nb_queues=<int> …"}`, the records dpdk-pmdinfo.py reads), and
 * DPDK builds each driver class into its own libraries, `librte_<class>_<pmd>.so` (drivers/net,
 * drivers/baseband …). The libraries are the ones mapped in this process (/proc/self/maps), so
 * the answer is about the DPDK that would probe the device, not a list written here.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { nearMiss } from './options.js';

/** A driver a PMD library registers (its PMD_INFO_STRING record), with the class it makes. */
export interface RegisteredDriver {
  /** The driver name (`net_null`, `baseband_null`). */
  readonly name: string;
  /** `net` makes ethdev ports; `baseband`, `compress`, `crypto`, `event`, `dma`, `raw` … do not. */
  readonly deviceClass: string;
  /** The keys its registration names (RTE_PMD_REGISTER_PARAM_STRING); [] when it names none. */
  readonly keys: readonly string[];
  /** The library it lives in. */
  readonly library: string;
}

const RECORD = Buffer.from('PMD_INFO_STRING= ');
const LIBRARY = /^librte_([a-z]+)_.*\.so(\.|$)/;

let cache: readonly RegisteredDriver[] | undefined;

/** The drivers of the PMD libraries mapped in this process; [] before any is loaded. */
export function loadedDrivers(): readonly RegisteredDriver[] {
  if (cache && cache.length > 0) return cache;
  const libraries = new Set<string>();
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (line.includes('/') && LIBRARY.test(basename(path))) libraries.add(path);
  }
  const drivers: RegisteredDriver[] = [];
  for (const library of libraries) drivers.push(...driversIn(library));
  cache = Object.freeze(drivers);
  return cache;
}

const installed = new Map<string, readonly RegisteredDriver[]>();

/**
 * The drivers DPDK would load at init, before it has (Eal.init's `vdevs`): the PMD libraries of
 * its PMD folder (regular files: the .so symlinks name the same ones) and the `-d` ones.
 */
export function driversToLoad(
  pmdDir: string | undefined,
  extra: readonly string[] = [],
): readonly RegisteredDriver[] {
  const key = `${pmdDir}\0${extra.join('\0')}`;
  const known = installed.get(key);
  if (known) return known;
  const libraries = [...extra];
  try {
    for (const name of pmdDir ? readdirSync(pmdDir) : []) {
      const path = join(pmdDir!, name);
      if (LIBRARY.test(name) && lstatSync(path).isFile()) libraries.push(path);
    }
  } catch {
    // no such folder: nothing to tell from
  }
  const drivers = Object.freeze(libraries.flatMap(driversIn));
  installed.set(key, drivers);
  return drivers;
}

function driversIn(library: string): RegisteredDriver[] {
  const deviceClass = LIBRARY.exec(basename(library))?.[1];
  let bytes: Buffer;
  try {
    bytes = readFileSync(library);
  } catch {
    return []; // replaced on disk since it was mapped: its drivers are still the mapped ones
  }
  const found: RegisteredDriver[] = [];
  for (let at = bytes.indexOf(RECORD); at >= 0 && deviceClass; at = bytes.indexOf(RECORD, at + 1)) {
    const end = bytes.indexOf(0, at);
    try {
      const record = JSON.parse(bytes.toString('latin1', at + RECORD.length, end)) as {
        name?: unknown;
        params?: unknown;
      };
      if (typeof record.name !== 'string') continue;
      found.push({ name: record.name, deviceClass, keys: keysOf(record.params), library });
    } catch {
      // not a record (the prefix in other text)
    }
  }
  return found;
}

/**
 * The keys of a registration's parameter string: `size=<int> copy=<int> no-rx=0|1`. Some PMDs
 * leave out the spaces (`numa_node=<int>do_validation=<int>`); a key starts with a letter.
 */
export function keysOf(params: unknown): string[] {
  if (typeof params !== 'string') return [];
  return [...params.matchAll(/([A-Za-z][\w-]*)=/g)].map((m) => m[1]!);
}

/**
 * The driver DPDK's vdev bus gives `vdevName`: the first whose name starts it (rte_vdev's rule).
 * An `eth_` name is DPDK's alias convention for the `net_` driver of the same name.
 */
export function vdevDriver(
  vdevName: string,
  drivers: readonly RegisteredDriver[] = loadedDrivers(),
): RegisteredDriver | undefined {
  const name = vdevName.startsWith('eth_') ? `net_${vdevName.slice(4)}` : vdevName;
  // Every attach asks: a scan of every driver cost a sync cycle more than a DPDK call does.
  let byName = matches.get(drivers);
  if (!byName) {
    byName = new Map();
    matches.set(drivers, byName);
  }
  if (byName.has(name)) return byName.get(name);
  let best: RegisteredDriver | undefined;
  for (const d of drivers) {
    if (name.startsWith(d.name) && (!best || d.name.length > best.name.length)) best = d;
  }
  // Names are the caller's: a bounded memo, cleared when full rather than grown without end.
  if (byName.size >= MATCHES_KEPT) byName.clear();
  byName.set(name, best);
  return best;
}

/** vdevDriver's answers per driver list (lists are frozen and cached: same list, same answer). */
const matches = new WeakMap<readonly RegisteredDriver[], Map<string, RegisteredDriver | undefined>>();
const MATCHES_KEPT = 1024;

/** The registered key nearest to `key` (a typo), if any. */
export function nearestKey(key: string, keys: readonly string[]): string | undefined {
  const any = () => undefined;
  return nearMiss(key, Object.fromEntries(keys.map((k) => [k, { check: any }])));
}
