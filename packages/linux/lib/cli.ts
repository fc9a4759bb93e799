import {
  type CliIo as CommandIo,
  consoleIo,
  integer,
  matching,
  nonEmpty,
  notRootFolder,
  oneOf,
  parseCommandLine,
  runCommand,
  size,
  UsageError,
} from '@dpdk-hotplug/args';
import { type BindResult, bind, type PlannedWrite, restore, unbind } from './bind.js';
import { DRIVER_NAME, errnoOf, isKernelError, writeHint } from './errors.js';
import { createHost, type Host } from './host.js';
import { hugepages, memTotal, mountHugetlbfs, reserveHugepages, unmountHugetlbfs } from './hugepages.js';
import { DEVICE_CLASSES, listDevices, type PciDevice } from './inventory.js';
import { pciAddress } from './pci-address.js';
import { removeDevice, rescan, slotPower, slots, waitForDevice } from './pci-hotplug.js';
import { loadModule, readiness } from './readiness.js';
import { listBindings } from './records.js';
import { UeventMonitor } from './uevents.js';

/** Where the commands print, and the machine they act on (a FakeMachine's in tests). */
export interface CliIo extends CommandIo {
  host?: Host;
}

const USAGE = `dpdk-hotplug kernel-side commands

  devices [--class net|storage|display|bridge|crypto|<hex>] [--json]
      PCI devices: ids and names, driver, interfaces, NUMA node, IOMMU group, and whether in use
  bind <bdf> --driver vfio-pci|igb_uio|uio_pci_generic|<kernel driver> [--force] [--dry-run] [--json]
  unbind <bdf> [--force] [--dry-run] [--json]
  restore <bdf>|--all [--dry-run] [--json]
      give devices back to the driver they had before the first bind or unbind
  kernel <driver> [--device <bdf>] [--load [--dry-run]] [--json]
      what the driver (and device) still need: module, IOMMU, /dev/vfio, device in use;
      --load: modprobe its module first
  hugepages [--reserve SIZE] [--page-size SIZE] [--node N] [--mount DIR] [--unmount DIR] [--dry-run] [--json]
      SIZE like 256M or 1G, at most the machine's memory; N from 0 to 1023
  pci remove <bdf> [--force] [--dry-run] | rescan [--dry-run] | slots
      | power <slot> on|off [--force] [--dry-run]
      | wait <bdf> present|absent [--driver X] [--timeout-ms N] | monitor [--subsystem pci]

--dry-run writes nothing and prints each write it would make (file and value) or command it
would run. Driver and module names: letters, digits, _ and -. Numbers: decimal digits.
Exit code: 0 done (kernel: ready), 1 failed (kernel: not ready), 2 bad usage.`;

const OPTIONS = {
  json: { type: 'boolean' },
  class: { type: 'string' },
  driver: { type: 'string' },
  device: { type: 'string' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  all: { type: 'boolean' },
  load: { type: 'boolean' },
  reserve: { type: 'string' },
  'page-size': { type: 'string' },
  node: { type: 'string' },
  mount: { type: 'string' },
  unmount: { type: 'string' },
  subsystem: { type: 'string' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
type Option = keyof typeof OPTIONS;
type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

/** The options each command takes (beyond --json and --help), and at most how many positionals. */
const COMMANDS: Record<string, { options: Option[]; positionals: number }> = {
  devices: { options: ['class'], positionals: 0 },
  bind: { options: ['driver', 'force', 'dry-run'], positionals: 1 },
  unbind: { options: ['force', 'dry-run'], positionals: 1 },
  restore: { options: ['all', 'dry-run'], positionals: 1 },
  kernel: { options: ['device', 'load', 'dry-run'], positionals: 1 },
  hugepages: { options: ['reserve', 'page-size', 'node', 'mount', 'unmount', 'dry-run'], positionals: 0 },
  pci: { options: ['force', 'dry-run', 'driver', 'timeout-ms', 'subsystem'], positionals: 3 },
};

/** Where a write's path shows as /sys/… (the host's sysfs may be a fake tree). */
function shown(path: string, sysfs: string): string {
  return path.startsWith(sysfs) ? `/sys${path.slice(sysfs.length)}` : path;
}

function writeLine(w: PlannedWrite, sysfs: string): string {
  return `  echo ${JSON.stringify(w.data.trim())} > ${shown(w.path, sysfs)}${w.note ? `  # ${w.note}` : ''}`;
}

function deviceLine(d: PciDevice): string {
  const name = [d.names.vendor, d.names.device].filter(Boolean).join(' ') || 'unknown device';
  const parts = [
    d.address,
    `${d.vendorId}:${d.deviceId}`,
    `'${name}'`,
    `drv=${d.driver ?? '-'}`,
    d.interfaces.length ? `if=${d.interfaces.map((i) => i.name).join(',')}` : '',
    d.blockDevices.length ? `disk=${d.blockDevices.map((b) => b.name).join(',')}` : '',
    `numa=${d.numaNode ?? '-'}`,
    `iommu=${d.iommuGroup ?? '-'}`,
    d.active ? `*Active* (${d.activeReasons.join('; ')})` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

function bindLines(r: BindResult, sysfs: string): string[] {
  const verb = r.dryRun ? 'would move' : 'moved';
  if (!r.changed) return [`${r.device}: already on ${r.to ?? 'no driver'}, nothing to do`];
  return [
    `${r.device}: ${verb} from ${r.from ?? 'no driver'} to ${r.to ?? 'no driver'}`,
    ...r.writes.map((w) => writeLine(w, sysfs)),
  ];
}

/** A driver or module name, checked before it becomes part of a path under /sys. */
const driverName = (option: string, text: string) =>
  matching(option, text, DRIVER_NAME, 'a driver or module name (letters, digits, _ and -)');

/** The options given that `command` does not take, refused by name. */
function refuseForeign(command: string, values: Values): void {
  const allowed = new Set<string>([...COMMANDS[command]!.options, 'json', 'help']);
  const foreign = Object.keys(values).filter((k) => !allowed.has(k));
  if (foreign.length)
    throw new UsageError(
      `${command} does not take ${foreign.map((f) => `--${f}`).join(', ')}` +
        (COMMANDS[command]!.options.length
          ? ` (it takes ${COMMANDS[command]!.options.map((o) => `--${o}`).join(', ')})`
          : ''),
    );
}

/** Runs one kernel-side command; resolves the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[], io: CliIo = consoleIo()): Promise<number> {
  const [command, ...rest] = argv;
  const name = command ?? 'kernel-side';
  const json = rest.includes('--json');
  return runCommand(
    name,
    io,
    json,
    async () => {
      const { values, positionals } = parseCommandLine(rest, OPTIONS);
      if (values.help || !command) {
        (command ? io.out : io.err)(USAGE);
        return command ? 0 : 2;
      }
      if (!COMMANDS[command]) throw new UsageError(`unknown command "${command}"`);
      refuseForeign(command, values);
      if (positionals.length > COMMANDS[command].positionals)
        throw new UsageError(
          `too many arguments: ${positionals.slice(COMMANDS[command].positionals).join(' ')}`,
        );
      return await run(command, values, positionals, io);
    },
    (e) => kernelFailure(name, e, io, json),
  );
}

/** A kernel error, or a file of our own that could not be written, in one line; its exit code. */
function kernelFailure(name: string, e: unknown, io: CliIo, json: boolean): number | undefined {
  const errno = errnoOf(e);
  if (!isKernelError(e) && errno) {
    // A file of our own (the binding records, the hugepage lock in /run/dpdk-hotplug) that could
    // not be written: one line with the path and the errno, not a stack trace.
    const hint = ['EACCES', 'EPERM', 'EROFS'].includes(errno)
      ? writeHint(errno, io.host?.uid ?? process.getuid?.() ?? null)
      : 'the state folder (/run/dpdk-hotplug) must be a folder this user can write';
    if (json)
      io.err(JSON.stringify({ error: { name: 'Error', code: errno, message: (e as Error).message } }));
    else io.err(`dpdk-hotplug ${name}: ${(e as Error).message}: ${hint}`);
    return 1;
  }
  if (!isKernelError(e)) return undefined;
  if (json)
    io.err(
      JSON.stringify({
        error: { name: e.name, code: e.code, message: e.message, path: e.path, errno: e.errno },
      }),
    );
  else io.err(`dpdk-hotplug ${name}: ${e.message} [${e.code}]`);
  return e.code === 'INVALID_ARGUMENT' || e.code === 'INVALID_PCI_ADDRESS' ? 2 : 1;
}

async function run(command: string, values: Values, positionals: string[], io: CliIo): Promise<number> {
  const host = io.host ?? createHost();
  const json = values.json === true;
  const print = (data: unknown, lines: () => string[]) => {
    if (json) io.out(JSON.stringify(data, null, 2));
    else for (const l of lines()) io.out(l);
  };
  const need = (v: string | undefined, what: string): string => {
    if (v === undefined) throw new UsageError(`${command} needs ${what}`);
    return nonEmpty(what, v);
  };
  const opts = { force: values.force === true, dryRun: values['dry-run'] === true };
  switch (command) {
    case 'devices': {
      const cls = values.class;
      if (cls !== undefined && !/^(0x)?[0-9a-f]{2,6}$/i.test(cls))
        oneOf('--class', cls, Object.keys(DEVICE_CLASSES));
      const devices = await listDevices(host, cls !== undefined ? { class: cls } : {});
      print(devices, () => devices.map(deviceLine));
      return 0;
    }
    case 'bind': {
      const bdf = pciAddress(need(positionals[0], 'a PCI address'));
      const driver = driverName('--driver', need(values.driver, '--driver'));
      const r = await bind(host, bdf, driver, opts);
      print(r, () => bindLines(r, host.sysfs));
      return 0;
    }
    case 'unbind': {
      const r = await unbind(host, pciAddress(need(positionals[0], 'a PCI address')), opts);
      print(r, () => bindLines(r, host.sysfs));
      return 0;
    }
    case 'restore': {
      if (values.all && positionals.length)
        throw new UsageError('restore takes a PCI address or --all, not both');
      const targets = values.all
        ? (await listBindings(host)).map((b) => b.address)
        : [pciAddress(need(positionals[0], 'a PCI address or --all'))];
      const results: BindResult[] = [];
      for (const t of targets) results.push(await restore(host, t, { dryRun: opts.dryRun }));
      print(results, () =>
        results.length ? results.flatMap((r) => bindLines(r, host.sysfs)) : ['nothing recorded'],
      );
      return 0;
    }
    case 'kernel': {
      const driver = driverName('driver', need(positionals[0], 'a driver name'));
      const device = values.device === undefined ? undefined : pciAddress(values.device);
      if (opts.dryRun && !values.load)
        throw new UsageError('kernel only reads; --dry-run goes with --load, the one thing it would change');
      const load = values.load ? await loadModule(host, driver, { dryRun: opts.dryRun }) : undefined;
      if (load && opts.dryRun) {
        print(load, () => [
          load.changed
            ? `would run: ${load.command.join(' ')}`
            : `${load.module} is loaded already, nothing to do`,
        ]);
        return 0;
      }
      const r = await readiness(host, driver, device);
      print(load ? { load, ...r } : r, () => [
        ...(load?.changed ? [`ran: ${load.command.join(' ')}`] : []),
        `${r.driver}${r.device ? ` for ${r.device}` : ''}: ${r.ready ? 'ready' : 'not ready'}`,
        ...r.checks.map(
          (c) => `  ${c.ok ? 'ok  ' : 'MISS'} ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : ` — ${c.fix}`}`,
        ),
      ]);
      return r.ready ? 0 : 1;
    }
    case 'hugepages':
      return hugepagesCommand(host, values, opts.dryRun, print);
    case 'pci':
      return pciCommand(host, positionals, values, opts, print, io);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

type Print = (data: unknown, lines: () => string[]) => void;

/** Page sizes: 4 KiB to 16 GiB (x86's are 2 MiB and 1 GiB; the kernel lists its own). */
const PAGE_SIZE = { min: 4 * 2 ** 10, max: 16 * 2 ** 30 };

async function hugepagesCommand(host: Host, values: Values, dryRun: boolean, print: Print): Promise<number> {
  const pageSize =
    values['page-size'] === undefined ? undefined : size('--page-size', values['page-size'], PAGE_SIZE);
  const pageSizeKb = pageSize === undefined ? undefined : pageSize / 1024;
  const node = integer('--node', values.node, { min: 0, max: 1023, default: -1 });
  if (node >= 0 && values.reserve === undefined) throw new UsageError('--node goes with --reserve');
  const dirOption = (option: '--mount' | '--unmount', v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!nonEmpty(option, v).startsWith('/'))
      throw new UsageError(`${option} needs an absolute folder, got ${JSON.stringify(v)}`);
    // The root, however spelled (/tmp/..), refused as every command refuses it.
    return notRootFolder(option, v);
  };
  const mount = dirOption('--mount', values.mount);
  const unmount = dirOption('--unmount', values.unmount);
  let reserve: number | undefined;
  if (values.reserve !== undefined) {
    // Bounded by what the machine has: hugepages are taken from its memory.
    const memory = await memTotal(host);
    const tooMuch = () =>
      new UsageError(
        `--reserve ${values.reserve} is more than this machine's memory (MemTotal ${formatMiB(memory!)}); ask for less`,
      );
    try {
      reserve = size('--reserve', values.reserve, { min: 1, max: 2 ** 60 });
    } catch (e) {
      throw memory !== null && /too large/.test((e as Error).message) ? tooMuch() : e;
    }
    if (memory !== null && reserve > memory) throw tooMuch();
  }
  if (dryRun && reserve === undefined && mount === undefined && unmount === undefined)
    throw new UsageError('--dry-run goes with --reserve, --mount or --unmount');
  const planned: string[] = [];
  const done: string[] = [];
  const said = (lines: string[]) => (dryRun ? planned : done).push(...lines);
  if (reserve !== undefined) {
    const r = await reserveHugepages(host, reserve, {
      ...(pageSizeKb ? { pageSizeKb } : {}),
      ...(node >= 0 ? { node } : {}),
      dryRun,
    });
    said(
      r.writes.length
        ? r.writes.map((w) => writeLine(w, host.sysfs))
        : [`  ${r.before} pages of ${r.pageSizeKb} kB reserved already, nothing to do`],
    );
  }
  if (mount !== undefined) {
    const m = await mountHugetlbfs(host, mount, { ...(pageSizeKb ? { pageSizeKb } : {}), dryRun });
    said([`  ${dryRun ? `mkdir -p ${mount} && ` : ''}${m.command.join(' ')}`]);
  }
  if (unmount !== undefined) {
    await unmountHugetlbfs(host, unmount, { dryRun });
    said([`  umount ${unmount}`]);
  }
  if (dryRun) {
    print({ dryRun: true, planned }, () => ['would make (dry run, nothing written):', ...planned]);
    return 0;
  }
  const h = await hugepages(host);
  print(h, () => [
    ...(done.length ? ['done:', ...done] : []),
    ...h.sizes.map(
      (s) =>
        `${s.pageSizeKb} kB pages: ${s.total} total, ${s.free} free` +
        (s.nodes.length > 1
          ? ` (${s.nodes.map((n) => `node${n.node} ${n.total}/${n.free}`).join(', ')})`
          : ''),
    ),
    ...(h.mounts.length
      ? h.mounts.map((m) => `hugetlbfs at ${m.target} (${m.pageSizeKb} kB)`)
      : ['no hugetlbfs mounted']),
  ]);
  return 0;
}

const formatMiB = (bytes: number) =>
  bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;

const PCI_SUBCOMMANDS = ['remove', 'rescan', 'slots', 'power', 'wait', 'monitor'] as const;
/** The options and positionals each `pci` subcommand takes. */
const PCI_SHAPE: Record<(typeof PCI_SUBCOMMANDS)[number], { options: Option[]; positionals: number }> = {
  remove: { options: ['force', 'dry-run'], positionals: 1 },
  rescan: { options: ['dry-run'], positionals: 0 },
  slots: { options: [], positionals: 0 },
  power: { options: ['force', 'dry-run'], positionals: 2 },
  wait: { options: ['driver', 'timeout-ms'], positionals: 2 },
  monitor: { options: ['subsystem'], positionals: 0 },
};

async function pciCommand(
  host: Host,
  positionals: string[],
  values: Values,
  opts: { force: boolean; dryRun: boolean },
  print: Print,
  io: CliIo,
): Promise<number> {
  const [subText, a, b] = positionals;
  if (subText === undefined) throw new UsageError(`pci needs a command: ${PCI_SUBCOMMANDS.join(', ')}`);
  const sub = oneOf('pci', subText, PCI_SUBCOMMANDS);
  const shape = PCI_SHAPE[sub];
  const foreign = (Object.keys(values) as Option[]).filter(
    (k) => !['json', 'help', ...shape.options].includes(k) && COMMANDS.pci!.options.includes(k),
  );
  if (foreign.length)
    throw new UsageError(`pci ${sub} does not take ${foreign.map((f) => `--${f}`).join(', ')}`);
  if (positionals.length - 1 > shape.positionals)
    throw new UsageError(`too many arguments: ${positionals.slice(shape.positionals + 1).join(' ')}`);
  const wrote = (what: string, writes: PlannedWrite[]) => {
    print({ dryRun: opts.dryRun, writes }, () =>
      opts.dryRun
        ? [`would ${what} (dry run, nothing written):`, ...writes.map((w) => writeLine(w, host.sysfs))]
        : [`${what}: done`],
    );
    return 0;
  };
  switch (sub) {
    case 'remove': {
      if (!a) throw new UsageError('pci remove needs a PCI address');
      const bdf = pciAddress(a);
      return wrote(`remove ${bdf}`, await removeDevice(host, bdf, opts));
    }
    case 'rescan':
      return wrote('rescan the PCI buses', await rescan(host, { dryRun: opts.dryRun }));
    case 'slots': {
      const s = await slots(host);
      print(s, () =>
        s.length
          ? s.map(
              (x) =>
                `slot ${x.slot}: ${x.address || '-'} power ${x.power === null ? 'n/a' : x.power ? 'on' : 'off'}`,
            )
          : ['no hotplug slots'],
      );
      return 0;
    }
    case 'power': {
      if (!a || b === undefined) throw new UsageError('pci power needs <slot> on|off');
      const slot = nonEmpty('slot', a);
      const state = oneOf('power', b, ['on', 'off']);
      return wrote(`power slot ${slot} ${state}`, await slotPower(host, slot, state === 'on', opts));
    }
    case 'wait': {
      if (!a || b === undefined) throw new UsageError('pci wait needs <bdf> present|absent');
      const bdf = pciAddress(a);
      const state = oneOf('wait', b, ['present', 'absent']);
      await waitForDevice(host, bdf, state, {
        ...(values.driver !== undefined ? { driver: driverName('--driver', values.driver) } : {}),
        timeoutMs: integer('--timeout-ms', values['timeout-ms'], { min: 1, max: 3_600_000, default: 10_000 }),
      });
      io.out(`${bdf}: ${state}`);
      return 0;
    }
    case 'monitor': {
      const subsystem =
        values.subsystem === undefined
          ? undefined
          : matching(
              '--subsystem',
              values.subsystem,
              /^[a-z0-9_-]{1,32}$/,
              'a subsystem name like pci or net',
            );
      const monitor = new UeventMonitor(subsystem ? { subsystems: [subsystem] } : {});
      await monitor.ready;
      process.once('SIGINT', () => monitor.close());
      for await (const e of monitor) {
        io.out(values.json ? JSON.stringify(e) : `${e.seqnum} ${e.action} ${e.subsystem} ${e.devpath}`);
      }
      return 0;
    }
  }
}
