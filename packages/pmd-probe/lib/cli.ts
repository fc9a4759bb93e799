import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type CliIo,
  consoleIo,
  existingFolder,
  integer,
  matching,
  nonEmpty,
  parseCommandLine,
  runCommand,
  UsageError,
} from '@dpdk-hotplug/args';
import { DEVARGS_BUDGET_ENV, DPDK_ENV, SYSFS_ENV } from '@dpdk-hotplug/ethdev';
import { probe } from './combined.js';
import { isProbeError, ProbeError } from './errors.js';
import { dpdkFor, driversFor, type PmdInfo, readPmdInfoFileSync, scanPmdInfo } from './pmdinfo.js';
import { probeRuntime, type RuntimeResult } from './runtime/probe.js';
import { type SourceDriver, scanSource } from './source/scan.js';

export type { CliIo } from '@dpdk-hotplug/args';

const USAGE = `dpdk-hotplug probe — can this PMD detach, and why do we think so?

  probe source <dir|file> [--json]
      scan PMD sources (one driver folder or a whole DPDK tree, any version since 2.0)
  probe pmdinfo <file.so|dir|--installed> [--id vendor:device] [--json]
      read PMD_INFO_STRING records, as dpdk-pmdinfo.py does; --id: which PMD drives that device;
      --installed: the PMD folder of the DPDK in use
  probe runtime <devargs> [--cycles N] [--timeout-ms N] [--no-lifecycle] [--json]
      attach and detach for real, in a child process of its own
  probe <target> [--source <dpdk tree>] [--no-runtime] [--cycles N] [--timeout-ms N] [--json]
      all the evidence there is for a source tree, a PMD file, a PMD name, devargs or a PCI address

  --cycles: 1 to 10000 (default 20); --timeout-ms: 1 to 3600000 (default 30000); decimal digits.
  --dpdk PREFIX   the DPDK to read and run (a meson install prefix or an uninstalled build
                  folder), with any form; default DPDK_HOTPLUG_DPDK, else pkg-config's libdpdk
  --driver PATH.so  an out-of-tree PMD (repeatable; runtime and <target>): its records count as
                  installed ones and the runtime probe's EAL loads it (-d); one that registers
                  no PMD is refused
  --devargs-budget MB  the memory the device's rings may ask (af_packet, memif), 1 to 1048576
                  MiB (default 256; runtime and <target>): over it, the devargs is refused
  --sysfs DIR     where sysfs is mounted (default /sys; runtime and <target>): a PCI device's
                  class is read there, and one that is not a network controller is refused
Exit code: 0 fine, 1 a verdict against detaching (or a conflict), 2 bad usage or input.`;

const OPTIONS = {
  json: { type: 'boolean' },
  installed: { type: 'boolean' },
  id: { type: 'string' },
  cycles: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'no-lifecycle': { type: 'boolean' },
  'no-runtime': { type: 'boolean' },
  source: { type: 'string' },
  dpdk: { type: 'string' },
  driver: { type: 'string', multiple: true },
  'devargs-budget': { type: 'string' },
  sysfs: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options each form takes (beyond --json and --help). */
const FORMS: Record<string, string[]> = {
  source: [],
  pmdinfo: ['installed', 'id'],
  runtime: ['cycles', 'timeout-ms', 'no-lifecycle', 'driver', 'devargs-budget', 'sysfs'],
  target: [
    'source',
    'no-runtime',
    'cycles',
    'timeout-ms',
    'no-lifecycle',
    'driver',
    'devargs-budget',
    'sysfs',
  ],
};

function sourceLines(drivers: SourceDriver[]): string[] {
  return drivers.flatMap((d) => [
    `${d.verdict.padEnd(14)} ${d.name}${d.aliases.length ? ` (alias ${d.aliases.join(', ')})` : ''} [${d.bus}, ${d.registeredBy} at ${d.file}:${d.line}]`,
    `               ${d.reason}`,
    ...d.evidence.map(
      (e) =>
        `               ${e.kind} ${e.file}:${e.line}  ${e.text}${e.via ? `  (through ${e.via.join(', ')})` : ''}`,
    ),
  ]);
}

function pmdLines(drivers: PmdInfo[]): string[] {
  return drivers.map((d) => {
    const ids = d.pci_ids?.length ? ` ${d.pci_ids.length} PCI ids` : '';
    return `${d.name}${ids}${d.kmod ? `  kmod: ${d.kmod}` : ''}${d.params ? `  params: ${d.params}` : ''}  (${d.file})`;
  });
}

function runtimeLines(r: RuntimeResult): string[] {
  return [
    `${r.verdict.padEnd(14)} ${r.devargs}: ${r.reason}`,
    `               ${r.cyclesDone} cycles in ${r.durationMs} ms${r.signal ? `, signal ${r.signal}` : ''}${r.code ? `, code ${r.code}` : ''}`,
    ...r.dpdkLog.slice(-5).map((l) => `               dpdk: ${l}`),
  ];
}

/** `--driver PATH`: a readable .so that registers a PMD (its real path), else a UsageError. */
function outOfTreePmd(path: string): string {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`--driver ${path}: no such file`);
  let records: PmdInfo[];
  try {
    records = readPmdInfoFileSync(file);
  } catch (e) {
    throw new UsageError(`--driver ${path}: ${(e as Error).message}`);
  }
  if (records.length === 0)
    throw new UsageError(`--driver ${path}: registers no PMD (no PMD_INFO_STRING record)`);
  return realpathSync(file);
}

/** Runs `dpdk-hotplug probe ...`; resolves the exit code (0 ok, 1 a verdict against detaching, 2 usage). */
export async function main(argv: readonly string[], io: CliIo = consoleIo()): Promise<number> {
  const json = argv.includes('--json');
  return runCommand(
    'probe',
    io,
    json,
    () => probeCommand(argv, io, json),
    (e) => {
      if (!isProbeError(e)) return undefined;
      io.err(
        json
          ? JSON.stringify({ error: { name: e.name, code: e.code, message: e.message } })
          : `dpdk-hotplug probe: ${e.message} [${e.code}]`,
      );
      return 2;
    },
  );
}

async function probeCommand(argv: readonly string[], io: CliIo, json: boolean): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length === 0)
    throw new UsageError('probe needs a target: source, pmdinfo, runtime or a PMD');
  const form = positionals[0]! in FORMS ? positionals[0]! : 'target';
  const foreign = Object.keys(values).filter((k) => !['json', 'help', 'dpdk', ...FORMS[form]!].includes(k));
  if (foreign.length)
    throw new UsageError(
      `probe ${form === 'target' ? '<target>' : form} does not take ${foreign.map((f) => `--${f}`).join(', ')}`,
    );
  const most = form === 'target' ? 1 : 2;
  if (positionals.length > most)
    throw new UsageError(`too many arguments: ${positionals.slice(most).join(' ')}`);
  if (positionals[1] !== undefined) nonEmpty(`probe ${form}'s argument`, positionals[1]);
  nonEmpty('the target', positionals[0]!);
  if (values.source !== undefined) nonEmpty('--source', values.source);
  if (values.id !== undefined)
    matching(
      '--id',
      values.id,
      /^(0x)?[0-9a-f]{1,4}:(0x)?[0-9a-f]{1,4}$/i,
      'vendor:device in hex, e.g. 8086:10d3',
    );
  const drivers = (values.driver ?? []).map((d) => outOfTreePmd(nonEmpty('--driver', d)));
  const runtimeOptions = {
    ...(values.cycles !== undefined
      ? { cycles: integer('--cycles', values.cycles, { min: 1, max: 10_000 }) }
      : {}),
    ...(values['timeout-ms'] !== undefined
      ? { timeoutMs: integer('--timeout-ms', values['timeout-ms'], { min: 1, max: 3_600_000 }) }
      : {}),
    ...(values['no-lifecycle'] ? { lifecycle: false } : {}),
    ...(drivers.length ? { drivers } : {}),
  };
  const print = (data: unknown, lines: () => string[]) => {
    if (json) io.out(JSON.stringify(data, null, 2));
    else for (const l of lines()) io.out(l);
  };
  const [sub, arg] = positionals;
  // Checked here; the env vars carry them to the runtime probe's child, whose Eal.init reads them.
  if (values['devargs-budget'] !== undefined)
    process.env[DEVARGS_BUDGET_ENV] = String(
      integer('--devargs-budget', values['devargs-budget'], { min: 1, max: 2 ** 20 }),
    );
  if (values.sysfs !== undefined) process.env[SYSFS_ENV] = existingFolder('--sysfs', values.sysfs);
  if (typeof values.dpdk === 'string') {
    // Checked here; the env var carries the choice to this process's binding and to children.
    process.env[DPDK_ENV] = dpdkFor(values.dpdk).prefix;
  }
  switch (sub) {
    case 'source': {
      if (!arg) throw new ProbeError('INVALID_ARGUMENT', 'probe source needs a folder or file');
      const scan = await scanSource(arg);
      print(scan, () => [
        `${scan.files} files, era ${scan.era}: ${scan.eraReason}`,
        ...sourceLines(scan.drivers),
      ]);
      return scan.drivers.some((d) => d.verdict === 'not-detachable') ? 1 : 0;
    }
    case 'pmdinfo': {
      const target = values.installed ? 'installed' : arg;
      if (!target)
        throw new ProbeError('INVALID_ARGUMENT', 'probe pmdinfo needs a file, a folder or --installed');
      // For a file, its librte_* dependencies too, as dpdk-pmdinfo.py reads them; a folder is read as it is.
      const isFile = target !== 'installed' && existsSync(target) && statSync(target).isFile();
      const scan = await scanPmdInfo(target, { followNeeded: isFile });
      if (values.id) {
        const [vendor, device] = values.id.split(':') as [string, string];
        const matches = driversFor(scan.drivers, { vendor, device });
        print(matches, () =>
          matches.length
            ? matches.map(
                (m) =>
                  `${m.driver.name}: kernel modules ${m.kernelModules.map((a) => a.join(' + ')).join(' or ') || 'not stated'}  (${m.driver.file})`,
              )
            : [`no PMD in ${scan.files.length} files claims ${values.id}`],
        );
        return matches.length ? 0 : 1;
      }
      // dpdk-pmdinfo.py's JSON shape for --json, without our file field.
      print(
        scan.drivers.map(({ file: _file, ...d }) => d),
        () => [`${scan.drivers.length} drivers in ${scan.files.length} files`, ...pmdLines(scan.drivers)],
      );
      return 0;
    }
    case 'runtime': {
      if (!arg)
        throw new ProbeError(
          'INVALID_ARGUMENT',
          'probe runtime needs devargs, e.g. net_null0 or 0000:01:00.0',
        );
      const r = await probeRuntime(arg, runtimeOptions);
      print(r, () => runtimeLines(r));
      return r.verdict === 'detachable' ? 0 : 1;
    }
    default: {
      const report = await probe(sub!, {
        ...(values.source ? { source: String(values.source) } : {}),
        ...(values['no-runtime'] ? { noRuntime: true } : {}),
        ...(drivers.length ? { drivers } : {}),
        runtime: runtimeOptions,
      });
      print(report, () => [
        `${report.target} (${report.kind})`,
        ...(report.binary ? ['binary:', ...pmdLines(report.binary.drivers).map((l) => `  ${l}`)] : []),
        ...(report.source
          ? [`source (era ${report.source.era}):`, ...sourceLines(report.source.drivers).map((l) => `  ${l}`)]
          : []),
        ...(report.runtime ? ['runtime:', ...report.runtime.flatMap(runtimeLines).map((l) => `  ${l}`)] : []),
        ...report.skipped.map((s) => `skipped ${s}`),
        ...report.agreement.map((a) => `${a.agree ? 'agree   ' : 'CONFLICT'} ${a.driver}: ${a.note}`),
      ]);
      return report.agreement.every((a) => a.agree) ? 0 : 1;
    }
  }
}
