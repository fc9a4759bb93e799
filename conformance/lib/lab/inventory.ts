import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { nearest, readTextFile, UsageError } from '@dpdk-hotplug/args';
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import { type Document, LineCounter, type Node, parseDocument } from 'yaml';
import {
  type Dut,
  type DutDevice,
  DutError,
  dutDevice,
  parseTraffic,
  pmdOf,
  validateDut,
} from '../model/dut.js';
import { defaultTraffic } from '../model/traffic-table.js';
import {
  type InventoryDocument,
  InventorySchema,
  type PciDutEntry,
  PciDutSchema,
  type RunnerEntry,
  type VdevDutEntry,
  VdevDutSchema,
} from './inventory-schema.js';

/** Every problem of an inventory, one line each: `FILE:LINE:COL: path.to.field: what is wrong`. */
export class InventoryError extends Error {
  override name = 'InventoryError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** A validated inventory: the document, where it came from, and each runner's DUTs. */
export interface Inventory {
  file: string;
  document: InventoryDocument;
  runners: { name: string; dpdk?: string; hugepages?: string; duts: Dut[] }[];
}

type Path = (string | number)[];

const pathText = (path: Path) =>
  path.reduce<string>((t, p) => (typeof p === 'number' ? `${t}[${p}]` : t ? `${t}.${p}` : p), '');

const pointerPath = (pointer: string): Path =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** Finds the YAML node of a path, or of its nearest existing parent (a missing field's object). */
function nodeAt(doc: Document, path: Path): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node) return node;
  }
  return undefined;
}

/** The DUT entry's variant, told by its key: `pci` or `vdev`. */
function dutVariant(value: unknown): TSchema | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('pci' in value) return PciDutSchema;
  if ('vdev' in value) return VdevDutSchema;
  return undefined;
}

const isEnum = (schema: TSchema) =>
  schema[Kind] === 'Union' && (schema.anyOf as TSchema[]).every((s) => s.const !== undefined);

/** The schema's errors in words, each with its path; a DUT entry is judged as the variant its key names. */
function schemaProblems(value: unknown): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = [];
  const walk = (schema: TSchema, v: unknown, prefix: Path) => {
    const seen = new Set<string>();
    for (const e of Value.Errors(schema, v)) {
      const path = [...prefix, ...pointerPath(e.path)];
      const key = pathText(path);
      if (seen.has(key)) continue; // TypeBox reports a missing field twice (required, then its type)
      seen.add(key);
      if (e.type === ValueErrorType.Union && !isEnum(e.schema)) {
        const variant = dutVariant(e.value);
        if (variant) walk(variant, e.value, path);
        else
          out.push({
            path,
            message: 'a DUT needs pci (a PCI NIC) or vdev (a virtual device): neither is given',
          });
        continue;
      }
      out.push({ path, message: describe(e, path, subschema(schema, pointerPath(e.path).slice(0, -1))) });
    }
  };
  walk(InventorySchema, value, []);
  return out;
}

function describe(e: ValueError, path: Path, parent: TSchema | undefined): string {
  const field = path[path.length - 1];
  const what = (e.schema.description as string | undefined) ?? '';
  const got = JSON.stringify(e.value);
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `missing${what ? `: ${what}` : ''}`;
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys((parent?.properties as Record<string, unknown>) ?? {});
      const near = nearest(String(field), known);
      return `unknown field${near ? ` (did you mean ${near}?)` : ''}; known: ${known.join(', ')}`;
    }
    case ValueErrorType.Union: {
      const values = (e.schema.anyOf as TSchema[]).map((s) => String(s.const));
      const near = typeof e.value === 'string' ? nearest(e.value, values) : undefined;
      return `${got} is not one of ${values.join(', ')}${near ? ` (did you mean ${near}?)` : ''}`;
    }
    case ValueErrorType.Literal:
      return `${got} is not ${JSON.stringify(e.schema.const)}${what ? ` (${what})` : ''}`;
    case ValueErrorType.String:
      return `${got} is ${kindOf(e.value)}, not text${
        typeof e.value === 'number' ? ': write it in quotes' : ''
      }${what ? ` (${what})` : ''}`;
    case ValueErrorType.Array:
    case ValueErrorType.Object:
    case ValueErrorType.Integer:
    case ValueErrorType.Boolean:
      return `${got}: ${e.message.toLowerCase()}${what ? ` (${what})` : ''}`;
    case ValueErrorType.ArrayMinItems:
      return 'must not be empty';
    default:
      return `${got} is not valid: ${what || e.message}`;
  }
}

const kindOf = (v: unknown) =>
  v === null ? 'empty' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;

/** The schema at a path below `root` (not through unions), for a typo's known fields. */
function subschema(root: TSchema, path: Path): TSchema | undefined {
  let schema: TSchema | undefined = root;
  for (const p of path) {
    if (!schema) return undefined;
    if (typeof p === 'number') schema = schema.items as TSchema;
    else schema = (schema.properties as Record<string, TSchema> | undefined)?.[p];
    if (schema?.[Kind] === 'Union' && !isEnum(schema)) return undefined;
  }
  return schema;
}

/**
 * Reads and validates an inventory file (YAML, or JSON, which YAML reads too). Throws
 * InventoryError with one line per problem and its line; returns every runner's DUTs.
 */
export function readInventory(file: string, option = '--inventory'): Inventory {
  return parseInventory(readTextFile(option, file), file);
}

export function parseInventory(text: string, file: string): Inventory {
  const lineCounter = new LineCounter();
  // The parser's own refusals (an alias bomb's "Excessive alias count", a stack overflow) are
  // thrown, not listed in doc.errors: each becomes one line naming the file.
  const refused = (e: unknown): never => {
    if (!(e instanceof Error)) throw e;
    throw new InventoryError([`${file}: not read as YAML: ${e.message.split('\n')[0]}`]);
  };
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    return refused(e);
  }
  const at = (node: Node | undefined, offset?: number) => {
    const { line, col } = lineCounter.linePos(offset ?? node?.range?.[0] ?? 0);
    return `${file}:${line}:${col}`;
  };
  const syntax = [...doc.errors, ...doc.warnings];
  if (syntax.length)
    throw new InventoryError(
      syntax.map((e) => `${at(undefined, e.pos[0])}: ${e.message.split('\n')[0]} (${e.code})`),
    );
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    return refused(e);
  }
  const legacy = legacyProblem(value);
  if (legacy) throw new InventoryError([`${file}:1:1: ${legacy}`]);
  const problems: { path: Path; message: string }[] = schemaProblems(value);
  // In the file's order: line, then column.
  const located = (list: typeof problems) =>
    list
      .map((p) => {
        const offset = nodeAt(doc, p.path)?.range?.[0] ?? 0;
        return {
          offset,
          line: `${at(undefined, offset)}: ${pathText(p.path) || '(the document)'}: ${p.message}`,
        };
      })
      .sort((a, b) => a.offset - b.offset)
      .map((p) => p.line);
  if (problems.length) throw new InventoryError(located(problems));
  const document = value as InventoryDocument;
  const inventory: Inventory = { file, document, runners: [] };
  const names = new Map<string, string>();
  const firstAt = (path: Path) => at(nodeAt(doc, path)).replace(`${file}:`, 'line ');
  for (const [i, r] of document.runners.entries()) {
    const runnerPath: Path = ['runners', i, 'name'];
    const clash = names.get(`runner ${r.name}`);
    if (clash)
      problems.push({ path: runnerPath, message: `runner ${r.name} is named twice (first at ${clash})` });
    names.set(`runner ${r.name}`, firstAt(runnerPath));
    const duts: Dut[] = [];
    const addresses = new Map<string, string>();
    for (const [j, entry] of r.duts.entries()) {
      const path: Path = ['runners', i, 'duts', j];
      // Each field's own problem, so that a DUT with two gets two lines.
      const checked = fieldChecks(entry);
      const fieldProblems = checked.problems.map(([field, message]) => ({
        path: [...path, field],
        message,
      }));
      if (fieldProblems.length || !checked.device) {
        problems.push(...fieldProblems);
        continue;
      }
      try {
        const dut = dutOf(r, entry, file, checked.device);
        const namePath = 'name' in entry && entry.name ? [...path, 'name'] : path;
        const twice = names.get(`dut ${dut.name}`);
        if (twice)
          problems.push({
            path: namePath,
            message: `DUT ${dut.name} is named twice (first at ${twice}); names are unique across the inventory`,
          });
        else names.set(`dut ${dut.name}`, firstAt(namePath));
        // A slot QEMU plugs and unplugs holds one DUT's NIC at a time (check 101 plugs it, 109
        // unplugs it, one DUT after the other): qemu-removed DUTs may share an address.
        if (checked.device.bus === 'pci' && !('pci' in entry && entry.removal === 'qemu')) {
          const bdf = checked.device.name;
          const seen = addresses.get(bdf);
          if (seen)
            problems.push({
              path: [...path, 'pci'],
              message: `${bdf} is listed twice on runner ${r.name} (first at ${seen})`,
            });
          else addresses.set(bdf, firstAt([...path, 'pci']));
        }
        if (dut.expectations && !existsSync(dut.expectations))
          problems.push({ path: [...path, 'expectations'], message: `no such file: ${dut.expectations}` });
        if (dut.driver && !existsSync(dut.driver))
          problems.push({ path: [...path, 'pmdFile'], message: `no such file: ${dut.driver}` });
        duts.push(dut);
      } catch (e) {
        if (!(e instanceof DutError)) throw e;
        const [field, message] = splitField(e.message, entry);
        problems.push({ path: field ? [...path, field] : path, message });
      }
    }
    inventory.runners.push({
      name: r.name,
      ...(r.dpdk ? { dpdk: r.dpdk } : {}),
      ...(r.hugepages ? { hugepages: r.hugepages } : {}),
      duts,
    });
  }
  if (problems.length) throw new InventoryError(located(problems));
  return inventory;
}

/**
 * The traffic words and the devargs of an entry: [field, problem] each, and the device its
 * devargs names (read once, through the DUT model's dutDevice).
 */
function fieldChecks(entry: PciDutEntry | VdevDutEntry): {
  problems: [string, string][];
  device?: DutDevice;
} {
  const out: [string, string][] = [];
  if ('pci' in entry && entry.unplug !== undefined && entry.removal === 'none')
    out.push(['unplug', 'needs a removal the runner can make (slot-power, sysfs-remove or qemu), not none']);
  if (entry.traffic !== undefined)
    try {
      parseTraffic(entry.traffic, 'x');
    } catch (e) {
      out.push(['traffic', (e as Error).message.replace(/^x: /, '')]);
    }
  const [field, devargs] =
    'pci' in entry
      ? [entry.args ? 'args' : 'pci', entry.args ? `${entry.pci},${entry.args}` : entry.pci]
      : ['vdev', entry.vdev];
  try {
    return { problems: out, device: dutDevice(devargs, 'x') };
  } catch (e) {
    out.push([field, (e as Error).message.replace(/^x: /, '')]);
    return { problems: out };
  }
}

/** The inventory field a DutError (`x: traffic: …`, `x: devargs: …`) is about, and its message. */
function splitField(message: string, entry: PciDutEntry | VdevDutEntry): [string | undefined, string] {
  const m = /^x: (traffic|devargs): (.*)$/s.exec(message);
  if (!m) return [undefined, message.replace(/^x: /, '')];
  if (m[1] === 'traffic') return ['traffic', m[2]!];
  return ['pci' in entry ? (entry.args ? 'args' : 'pci') : 'vdev', m[2]!];
}

/** One inventory entry as the suite's DUT. */
function dutOf(runner: RunnerEntry, entry: PciDutEntry | VdevDutEntry, file: string, device: DutDevice): Dut {
  const common = {
    runner: runner.name,
    ...(entry.cycles !== undefined ? { cycles: entry.cycles } : {}),
    ...(entry.mbufs !== undefined ? { mbufs: entry.mbufs } : {}),
    ...(entry.expectations
      ? {
          expectations: isAbsolute(entry.expectations)
            ? entry.expectations
            : resolve(dirname(resolve(file)), entry.expectations),
        }
      : {}),
    ...(entry.pmdFile
      ? { driver: isAbsolute(entry.pmdFile) ? entry.pmdFile : resolve(dirname(resolve(file)), entry.pmdFile) }
      : {}),
  };
  if ('pci' in entry) {
    const bdf = device.name;
    return validateDut(
      {
        name: entry.name ?? `${runner.name}-${bdf.replace(/[:.]/g, '-')}`,
        pmd: entry.pmd ?? entry.model,
        devargs: entry.args ? `${bdf},${entry.args}` : bdf,
        setup: 'none',
        ...parseTraffic(entry.traffic, 'x: traffic'),
        pci: {
          model: entry.model,
          ids: entry.ids,
          driver: entry.driver,
          kernelDriver: entry.kernelDriver,
          removal: entry.removal,
          // A NIC the runner can take away and bring back runs the PCI checks (tests/pci.spec.ts).
          ...(entry.removal !== 'none' ? { unplug: entry.unplug ?? 'clean' } : {}),
        },
        ...common,
      },
      'x',
      device,
    );
  }
  const pmd = pmdOf(device);
  const known = defaultTraffic(pmd);
  return validateDut(
    {
      name: entry.name ?? `${runner.name}-${device.name.toLowerCase()}`,
      pmd,
      devargs: entry.vdev,
      setup: entry.setup ?? 'none',
      ...(entry.traffic !== undefined
        ? parseTraffic(entry.traffic, 'x: traffic')
        : { traffic: known.mode, ...(known.note ? { trafficNote: known.note } : {}) }),
      ...(entry.needsRoot ? { needsRoot: true } : {}),
      ...common,
    },
    'x',
    device,
  );
}

/** The JSON inventory of before (`runners[].ports`): what to change, in one line. */
function legacyProblem(value: unknown): string | undefined {
  const runners = (value as { runners?: unknown })?.runners;
  if ((value as { version?: unknown })?.version !== undefined || !Array.isArray(runners)) return undefined;
  if (!runners.some((r) => typeof r === 'object' && r !== null && 'ports' in r)) return undefined;
  return 'this is the JSON inventory of before (runners[].ports); convert it: add "version": 1, rename each runner\'s "ports" to "duts", and give each port "ids" (vendor:device, lspci -n), "traffic" (peer=IFACE or none) and "removal" (slot-power, sysfs-remove, qemu or none); see conformance/README.md';
}

/** The DUTs of one runner (or of all); an unknown runner is refused with the nearest name. */
export function dutsFromInventory(inventory: Inventory, runner?: string): Dut[] {
  if (runner === undefined) return inventory.runners.flatMap((r) => r.duts);
  const found = inventory.runners.find((r) => r.name === runner);
  if (!found) {
    const known = inventory.runners.map((r) => r.name);
    const near = nearest(runner, known);
    throw new InventoryError([
      `${inventory.file}: no runner ${runner}${near ? ` (did you mean ${near}?)` : ''}; runners: ${known.join(', ')}`,
    ]);
  }
  return found.duts;
}

/** `--shard I/N`: the I-th (from 1) of N slices. */
export interface Shard {
  current: number;
  total: number;
}

export function parseShard(text: string): Shard {
  const m = /^([1-9][0-9]{0,3})\/([1-9][0-9]{0,3})$/.exec(text);
  const shard = m ? { current: Number(m[1]), total: Number(m[2]) } : undefined;
  if (!shard || shard.current > shard.total)
    throw new UsageError(
      `--shard must be I/N with 1 <= I <= N <= 9999 in decimal digits, got ${JSON.stringify(text)}`,
    );
  return shard;
}

/**
 * A runner's DUTs for one shard: its vdev DUTs dealt round-robin, in inventory order, so N
 * identical machines each certify a slice and together all of them. PCI DUTs live in one
 * machine: a runner that has any is refused.
 */
export function shardOf(duts: Dut[], shard: Shard | undefined): Dut[] {
  if (!shard) return duts;
  const pci = duts.filter((d) => d.pci);
  if (pci.length)
    throw new UsageError(
      `--shard splits vdev DUTs across identical machines; runner ${duts[0]!.runner} has PCI DUTs (${pci.map((d) => d.name).join(', ')}), which live in one machine`,
    );
  return duts.filter((_, i) => i % shard.total === shard.current - 1);
}

/** The blob report's file name: one per runner and shard, so that lab merge can take them all. */
export function blobName(runner: string | undefined, shard: Shard | undefined): string {
  return `report-${runner ?? 'certify'}${shard ? `-${shard.current}-of-${shard.total}` : ''}.zip`;
}
