/**
 * Which class of device a vdev name makes, from the PMDs' own registration: every PMD DPDK loaded
 * (its own folder and `-d`) carries one PMD_INFO_STRING record per driver (`{"name":
 * "baseband_null", "params": "max_nb_queues=<int> …"}`, the records dpdk-pmdinfo.py reads), and
 * DPDK builds each driver class into its own libraries, `librte_<class>_<pmd>.so` (drivers/net,
 * drivers/baseband …). The libraries are the ones mapped in this process (/proc/self/maps), so
 * the answer is about the DPDK that would probe the device, not a list written here.
 */
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
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

/**
 * One buffer for every library's scan, reused: reading each library whole (all of a DPDK's PMDs,
 * 20–30 MB) left that much garbage behind, and its collection, a mark-compact of 15–23 ms, came
 * later on the event loop, inside the first async calls on DPDK 24.11 (docs/measurements.md).
 */
const CHUNK_BYTES = 1 << 20;
let scratch: Buffer | undefined;

function driversIn(library: string): RegisteredDriver[] {
  const deviceClass = LIBRARY.exec(basename(library))?.[1];
  if (!deviceClass) return [];
  let fd: number;
  try {
    fd = openSync(library, 'r');
  } catch {
    return []; // replaced on disk since it was mapped: its drivers are still the mapped ones
  }
  const found: RegisteredDriver[] = [];
  scratch ??= Buffer.allocUnsafe(CHUNK_BYTES);
  const buf = scratch;
  try {
    // `kept`: bytes carried over from the chunk before (a record cut by the chunk's end, or what
    // may be the start of its prefix) at the buffer's start.
    let kept = 0;
    for (;;) {
      const read = readSync(fd, buf, kept, buf.length - kept, null);
      const view = buf.subarray(0, kept + read);
      let from = 0;
      let cut = -1;
      for (let at = view.indexOf(RECORD, from); at >= 0; at = view.indexOf(RECORD, from)) {
        const end = view.indexOf(0, at);
        if (end < 0) {
          cut = at;
          break;
        }
        from = end + 1;
        try {
          const record = JSON.parse(view.toString('latin1', at + RECORD.length, end)) as {
            name?: unknown;
            params?: unknown;
          };
          if (typeof record.name !== 'string') continue;
          found.push({ name: record.name, deviceClass, keys: keysOf(record.params), library });
        } catch {
          // not a record (the prefix in other text)
        }
      }
      if (read === 0) break; // the end: a record cut there has no end, as before
      // Carry over a cut record (dropped if it fills the buffer: no record is that long), else
      // the tail that may begin the prefix.
      let carry: number;
      if (cut >= 0) carry = cut === 0 && view.length === buf.length ? view.length : cut;
      else carry = Math.max(from, view.length - (RECORD.length - 1));
      kept = view.length - carry;
      buf.copyWithin(0, carry, view.length);
    }
  } finally {
    closeSync(fd);
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
