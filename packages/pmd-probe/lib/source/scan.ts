import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ProbeError } from '../errors.js';
import { type CleanSource, cleanSource, defines, withoutDirectives } from './clean.js';
import { field, type InitItem, parseInitializer } from './initializer.js';

export type SourceVerdict = 'detachable' | 'not-detachable' | 'unknown';

/** What a line of source says about detaching, by the era it belongs to. */
export type EvidenceKind =
  /** `RTE_PCI_DRV_DETACHABLE` in the PCI driver's `drv_flags` (DPDK 2.0 – 16.11). */
  | 'pci-drv-detachable'
  /** `RTE_ETH_DEV_DETACHABLE` set in the ethdev's `dev_flags` (2.2 – 17.08). */
  | 'ethdev-detachable'
  /** A `.remove` callback in the bus driver (the detach path since 17.11). */
  | 'remove-callback'
  /** The bus driver's `.remove` is NULL or absent. */
  | 'no-remove-callback'
  /** An `.uninit` callback in an old `rte_driver` (virtual devices, 2.x – 16.07). */
  | 'vdev-uninit'
  /** `RTE_ETH_DEV_CLOSE_REMOVE`: close releases the port (the 18.x – 20.x transition). */
  | 'close-remove'
  /** The PMD calls `rte_eth_dev_release_port` itself. */
  | 'releases-port'
  /** `RTE_PCI_DRV_DETACHABLE` put into an ethdev's `dev_flags`: the wrong flag (it means something else there). */
  | 'flag-misused';

export interface Evidence {
  kind: EvidenceKind;
  file: string;
  line: number;
  /** The source line, trimmed. */
  text: string;
  /** The macros the flag was found through, when the line names none of the flags itself. */
  via?: string[];
}

export type Registration =
  | 'RTE_PMD_REGISTER_PCI'
  | 'RTE_PMD_REGISTER_VDEV'
  | `RTE_PMD_REGISTER_${string}`
  | 'DRIVER_REGISTER_PCI'
  | 'DRIVER_REGISTER_VDEV'
  | 'PMD_REGISTER_DRIVER'
  | 'constructor';

export interface SourceDriver {
  name: string;
  aliases: string[];
  bus: string;
  registeredBy: Registration;
  file: string;
  line: number;
  /** The driver structure the registration names, where found. */
  struct?: { type: string; variable: string; file: string; line: number };
  evidence: Evidence[];
  verdict: SourceVerdict;
  reason: string;
}

export type Era = 'legacy' | 'modern' | 'unknown';

export interface SourceScan {
  root: string;
  /** `legacy`: the tree defines the DETACHABLE flags (≤ 17.08); `modern`: a later DPDK; `unknown`: a driver folder alone. */
  era: Era;
  eraReason: string;
  files: number;
  drivers: SourceDriver[];
}

const BUSES = new Set(['PCI', 'VDEV', 'DPAA', 'DPAA2', 'FSLMC', 'VMBUS', 'AFU', 'AUXILIARY', 'CDX', 'IFPGA']);
const CONSTRUCTOR_CALLS: Record<string, string> = {
  rte_pci_register: 'pci',
  rte_eal_pci_register: 'pci',
  rte_vdev_register: 'vdev',
  rte_eal_vdev_driver_register: 'vdev',
};
const NULLISH = /^\(?\s*(NULL|0|\(void\s*\*\)\s*0)\s*\)?$/;

interface File {
  path: string;
  rel: string;
  raw: string;
  /** Cleaned on first use: most files of a tree never need it. */
  readonly src: CleanSource;
  readonly code: string;
  readonly lines: string[];
  /** dev_flags assignments and port releases in this file, found once for every driver of its folder. */
  flagEvidence?: Evidence[];
}

interface StructDef {
  type: string;
  variable: string;
  file: File;
  open: number;
}

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const st = await stat(root).catch((cause) => {
    throw new ProbeError('NOT_FOUND', `${root}: no such file or directory`, { file: root, cause });
  });
  if (st.isFile()) return [root];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !/\.[ch]$/.test(e.name)) continue;
    const parent = e.parentPath ?? (e as unknown as { path: string }).path;
    if (/(^|\/)(\.git|build|node_modules)(\/|$)/.test(relative(root, parent))) continue;
    out.push(join(parent, e.name));
  }
  return out.sort();
}

/** Expands object-like and function-like macro names in an expression, a few levels deep. */
const FLAGS = new Set(['RTE_PCI_DRV_DETACHABLE', 'RTE_ETH_DEV_DETACHABLE', 'RTE_ETH_DEV_CLOSE_REMOVE']);

function expand(expr: string, macros: Map<string, string>): string {
  let out = expr;
  for (let depth = 0; depth < 8; depth++) {
    // The flags themselves stay: a DPDK tree defines them as numbers.
    const next = out.replace(/\b[A-Za-z_]\w*\b/g, (t) =>
      macros.has(t) && !FLAGS.has(t) ? ` ${macros.get(t)} ` : t,
    );
    if (next === out) break;
    out = next;
  }
  return out;
}

function lineText(f: File, offset: number): string {
  return (f.lines[f.src.line(offset) - 1] ?? '').trim();
}

function ev(kind: EvidenceKind, f: File, offset: number): Evidence {
  return { kind, file: f.rel, line: f.src.line(offset), text: lineText(f, offset) };
}

/** The first bare identifier (a function) in a positional list is the probe; the item after it is remove. */
function positionalRemove(items: InitItem[]): InitItem | undefined | null {
  if (items.some((i) => i.designator.length)) return undefined;
  const probe = items.findIndex((i) => /^[A-Za-z_]\w*$/.test(i.value) && !NULLISH.test(i.value));
  if (probe < 0) return undefined;
  return items[probe + 1] ?? null;
}

export interface ScanOptions {
  /** Make file names in evidence relative to this (default: the scanned root). */
  relativeTo?: string;
}

/**
 * Scans a PMD source tree (one driver folder or a whole DPDK tree): every driver it registers,
 * how, on which bus, the detach evidence of its era with file:line, and a verdict with the reason.
 */
export async function scanSource(root: string, options: ScanOptions = {}): Promise<SourceScan> {
  const paths = await walk(root);
  const base = options.relativeTo ?? ((await stat(root)).isFile() ? dirname(root) : root);
  const files: File[] = await Promise.all(
    paths.map(async (path) => {
      const raw = await readFile(path, 'latin1');
      let src: CleanSource | undefined;
      let code: string | undefined;
      let lines: string[] | undefined;
      const clean = () => {
        src ??= cleanSource(path, raw);
        return src;
      };
      const file: File = {
        path,
        rel: relative(base, path),
        raw,
        get src() {
          return clean();
        },
        get code() {
          code ??= withoutDirectives(clean().text);
          return code;
        },
        get lines() {
          lines ??= raw.split('\n');
          return lines;
        },
      };
      return file;
    }),
  );
  const macros = new Map<string, string>();
  for (const f of files) for (const [k, v] of defines(f.raw)) if (!macros.has(k)) macros.set(k, v);

  let era: Era = 'unknown';
  let eraReason =
    'no DPDK headers in the scanned files: a driver folder alone; evidence of every era is accepted';
  const legacyDef = files.find(
    (f) =>
      f.raw.includes('_DETACHABLE') &&
      /^[ \t]*#[ \t]*define[ \t]+RTE_(PCI_DRV|ETH_DEV)_DETACHABLE\b/m.test(f.raw),
  );
  if (legacyDef) {
    era = 'legacy';
    eraReason = `${legacyDef.rel} defines the DETACHABLE flags: DPDK ≤ 17.08 detaches only ports flagged detachable`;
  } else if (
    files.some(
      (f) => /rte_ethdev(_driver)?\.h$/.test(f.path) || /\bstruct\s+rte_(pci|vdev)_driver\s*\{/.test(f.raw),
    )
  ) {
    era = 'modern';
    eraReason =
      'DPDK headers without the DETACHABLE flags: DPDK ≥ 17.11 detaches through the bus driver’s .remove';
  }

  // Every `struct T var = {` definition, for finding the structure a registration names.
  const structs = new Map<string, StructDef[]>();
  for (const f of files) {
    if (!f.raw.includes('driver')) continue; // every driver structure's type names one
    for (const m of f.raw.matchAll(
      /\bstruct\s+(\w*driver\w*)\s+(\w+)\s*(?:__\w+\s*(?:\(\([^)]*\)\))?\s*)?=\s*\{/g,
    )) {
      const def = { type: m[1]!, variable: m[2]!, file: f, open: m.index! + m[0].length - 1 };
      structs.set(def.variable, [...(structs.get(def.variable) ?? []), def]);
    }
  }
  const findStruct = (variable: string, near: File): StructDef | undefined => {
    // Found in the raw text; kept only where the cleaned text agrees (not in a comment or #if 0).
    const defs = (structs.get(variable) ?? []).filter((d) => d.file.code[d.open] === '{');
    return (
      defs.find((d) => d.file === near) ??
      defs.find((d) => dirname(d.file.path) === dirname(near.path)) ??
      defs.find((d) => d.file.path.startsWith(dirname(near.path) + sep)) ??
      defs[0]
    );
  };

  // Registrations: the macros of each era, aliases, and constructors calling the bus register function.
  interface Reg {
    name: string;
    bus: string;
    by: Registration;
    expr: string;
    file: File;
    offset: number;
  }
  const regs: Reg[] = [];
  const aliases = new Map<string, string[]>();
  for (const f of files) {
    if (!/REGISTER|_register/.test(f.raw)) continue;
    const re = /\b(RTE_PMD_REGISTER_(\w+)|DRIVER_REGISTER_(PCI|VDEV)|PMD_REGISTER_DRIVER)\s*\(([^()]*)\)/g;
    for (const m of f.code.matchAll(re)) {
      const args = m[4]!.split(',').map((a) => a.trim());
      if (m[2] === 'ALIAS') {
        aliases.set(args[0]!, [...(aliases.get(args[0]!) ?? []), args[1]!]);
        continue;
      }
      const bus = m[2] ?? m[3];
      if (bus !== undefined && !BUSES.has(bus)) continue;
      if (m[1] === 'PMD_REGISTER_DRIVER') {
        regs.push({
          name: args[1] ?? '',
          bus: '',
          by: 'PMD_REGISTER_DRIVER',
          expr: args[0]!,
          file: f,
          offset: m.index!,
        });
      } else {
        regs.push({
          name: args[0]!,
          bus: bus!.toLowerCase(),
          by: m[1] as Registration,
          expr: args[1]!,
          file: f,
          offset: m.index!,
        });
      }
    }
    const ctor =
      /\b(rte_pci_register|rte_eal_pci_register|rte_vdev_register|rte_eal_vdev_driver_register)\s*\(\s*&\s*([\w.]+)\s*\)/g;
    // In a file that registers with a macro, a register call is the old rte_driver's init doing
    // the same registration again: not a driver of its own.
    const byMacro = regs.some((r) => r.file === f);
    for (const m of byMacro ? [] : f.code.matchAll(ctor)) {
      const variable = m[2]!.split('.')[0]!;
      if (regs.some((r) => r.expr.split('.')[0] === variable)) continue;
      regs.push({
        name: '',
        bus: CONSTRUCTOR_CALLS[m[1]!]!,
        by: 'constructor',
        expr: m[2]!,
        file: f,
        offset: m.index!,
      });
    }
  }

  const drivers: SourceDriver[] = [];
  for (const reg of regs) {
    const evidence: Evidence[] = [];
    const [variable, ...members] = reg.expr.replace(/^&/, '').split('.');
    let def = findStruct(variable!, reg.file);
    let items = def ? parseInitializer(def.file.code, def.open) : undefined;
    let bus = reg.bus;
    let name = reg.name;
    // A name may be a literal or a macro for one (`.name = MLX4_DRIVER_NAME`).
    const str = (item: InitItem | undefined) =>
      item && /^\s*"([^"]*)"\s*$/.exec(expand(item.value, macros))?.[1];

    // The old generic registration: an rte_driver whose type says the bus; PCI ones register an eth_driver from init.
    if (reg.by === 'PMD_REGISTER_DRIVER' && def) {
      const type =
        field(items, 'type')?.value ?? items?.find((i) => /PMD_(P|V)DEV/.test(i.value))?.value ?? '';
      bus = type.includes('PMD_VDEV') ? 'vdev' : 'pci';
      name ||= str(field(items, 'name')) ?? reg.expr;
      if (def.type === 'rte_driver' && bus === 'vdev') {
        const uninit = field(items, 'uninit');
        if (uninit && !NULLISH.test(uninit.value)) evidence.push(ev('vdev-uninit', def.file, uninit.offset));
      }
      if (bus === 'pci') {
        const init = field(items, 'init')?.value;
        const inFile = def.file.code;
        const body = init ? new RegExp(`\\b${init}\\s*\\([^)]*\\)\\s*\\{`).exec(inFile) : null;
        const scope = body ? inFile.slice(body.index, body.index + 4000) : inFile;
        const eth = /rte_eth_driver_register\s*\(\s*&\s*(\w+)\s*\)/.exec(scope)?.[1];
        if (eth) {
          def = findStruct(eth, def.file);
          items = def ? parseInitializer(def.file.code, def.open) : undefined;
          // Old PCI PMDs named themselves in the eth_driver's pci_drv, not in the rte_driver.
          if (!reg.name) name = str(field(items, 'pci_drv', 'name')) ?? name;
        }
      }
    }
    // `rte_igb_pmd.pci_drv`, or an eth_driver named whole: the PCI driver is its pci_drv member.
    let busItems = items;
    for (const m of members) busItems = field(busItems, m)?.items;
    if (def?.type === 'eth_driver' && members.length === 0) {
      busItems = field(items, 'pci_drv')?.items ?? items?.[0]?.items;
    }
    if (!name && def) {
      name =
        str(field(busItems, 'driver', 'name')) ??
        str(field(busItems, 'name')) ??
        str(field(items, 'name')) ??
        variable!;
    }
    // A name given as a macro (`RTE_PMD_REGISTER_VDEV(CRYPTODEV_NAME_NULL_PMD, …)`) is what it expands to.
    if (/^[A-Z_][A-Z0-9_]*$/.test(name) && macros.has(name)) {
      const body = expand(name, macros)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (/^[\w-]+$/.test(body)) name = body;
    }

    if (def && busItems) {
      const flags = field(busItems, 'drv_flags');
      if (flags && /\bRTE_PCI_DRV_DETACHABLE\b/.test(expand(flags.value, macros))) {
        const e = ev('pci-drv-detachable', def.file, flags.offset);
        if (!/\bRTE_PCI_DRV_DETACHABLE\b/.test(flags.value)) {
          e.via = [...flags.value.matchAll(/\b[A-Za-z_]\w*\b/g)]
            .map((t) => t[0])
            .filter((t) => macros.has(t));
        }
        evidence.push(e);
      }
      if (!(reg.by === 'PMD_REGISTER_DRIVER' && bus === 'vdev')) {
        const remove = field(busItems, 'remove') ?? positionalRemove(busItems);
        if (remove && !NULLISH.test(remove.value))
          evidence.push(ev('remove-callback', def.file, remove.offset));
        // Before 16.11 no bus driver had .remove: its absence then says nothing.
        else if (era !== 'legacy' || remove) {
          evidence.push(ev('no-remove-callback', def.file, remove ? remove.offset : def.open));
        }
      }
    }

    // dev_flags and port release anywhere in the driver's folder: a flag may be set in another file.
    const folder = dirname(reg.file.path);
    for (const f of files) {
      if (!(f.path.startsWith(folder + sep) || dirname(f.path) === folder)) continue;
      f.flagEvidence ??= /dev_flags|rte_eth_dev_release_port/.test(f.raw) ? flagEvidence(f, macros) : [];
      evidence.push(...f.flagEvidence);
    }

    const { verdict, reason } = judge(evidence, era, bus, def !== undefined, reg.expr);
    drivers.push({
      name: name || variable!,
      aliases: aliases.get(name) ?? [],
      bus: bus || 'unknown',
      registeredBy: reg.by,
      file: reg.file.rel,
      line: reg.file.src.line(reg.offset),
      ...(def
        ? {
            struct: {
              type: def.type,
              variable: def.variable,
              file: def.file.rel,
              line: def.file.src.line(def.open),
            },
          }
        : {}),
      evidence,
      verdict,
      reason,
    });
  }
  return { root, era, eraReason, files: files.length, drivers };
}

function flagEvidence(f: File, macros: Map<string, string>): Evidence[] {
  const out: Evidence[] = [];
  for (const m of f.code.matchAll(/\bdev_flags\s*(\|?=)\s*([^;]*);/g)) {
    const rhs = expand(m[2]!, macros);
    const at = m.index! + m[0].indexOf(m[2]!);
    if (/\bRTE_ETH_DEV_DETACHABLE\b/.test(rhs)) out.push(ev('ethdev-detachable', f, at));
    if (/\bRTE_PCI_DRV_DETACHABLE\b/.test(rhs)) out.push(ev('flag-misused', f, at));
    if (/\bRTE_ETH_DEV_CLOSE_REMOVE\b/.test(rhs)) out.push(ev('close-remove', f, at));
  }
  const release = /\brte_eth_dev_release_port\s*\(/.exec(f.code);
  if (release) out.push(ev('releases-port', f, release.index));
  return out;
}

function judge(
  evidence: Evidence[],
  era: Era,
  bus: string,
  found: boolean,
  expr: string,
): { verdict: SourceVerdict; reason: string } {
  const has = (k: EvidenceKind) => evidence.find((e) => e.kind === k);
  const at = (e: Evidence) => `${e.file}:${e.line}`;
  const pciFlag = has('pci-drv-detachable');
  const ethFlag = has('ethdev-detachable');
  const remove = has('remove-callback');
  const uninit = has('vdev-uninit');
  const misused = has('flag-misused');
  if (!found)
    return { verdict: 'unknown', reason: `the driver structure ${expr} is not defined in the scanned files` };
  if (era === 'legacy' || (era === 'unknown' && (pciFlag || ethFlag || uninit))) {
    const flag = pciFlag ?? ethFlag;
    if (flag) {
      const how = pciFlag
        ? `RTE_PCI_DRV_DETACHABLE in drv_flags${pciFlag.via?.length ? ` through ${pciFlag.via.join(', ')}` : ''}`
        : 'RTE_ETH_DEV_DETACHABLE in dev_flags';
      if (bus === 'vdev' && !(uninit || remove)) {
        return {
          verdict: 'not-detachable',
          reason: `flagged detachable (${at(flag)}) but has no uninit/remove callback to detach with`,
        };
      }
      return { verdict: 'detachable', reason: `${how} (${at(flag)})` };
    }
    if (misused) {
      return {
        verdict: 'not-detachable',
        reason: `${at(misused)} puts RTE_PCI_DRV_DETACHABLE into dev_flags, where the detach check reads RTE_ETH_DEV_DETACHABLE: the port is never detachable`,
      };
    }
    return {
      verdict: 'not-detachable',
      reason:
        bus === 'pci'
          ? 'no RTE_PCI_DRV_DETACHABLE in drv_flags and no RTE_ETH_DEV_DETACHABLE in dev_flags: DPDK of this era refuses to detach it'
          : 'no RTE_ETH_DEV_DETACHABLE in dev_flags: DPDK of this era refuses to detach it',
    };
  }
  if (remove) {
    const close = has('close-remove') ?? has('releases-port');
    return {
      verdict: 'detachable',
      reason: `.remove callback (${at(remove)})${close ? `; close releases the port (${at(close)})` : ''}${era === 'unknown' ? '; era not known from this folder, DPDK ≥ 17.11 assumed' : ''}`,
    };
  }
  const none = has('no-remove-callback');
  if (none)
    return {
      verdict: 'not-detachable',
      reason: `no .remove callback in ${expr} (${at(none)}): rte_dev_remove cannot detach it`,
    };
  return { verdict: 'unknown', reason: `could not read the bus driver's callbacks in ${expr}` };
}
