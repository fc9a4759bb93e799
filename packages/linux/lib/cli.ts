import { parseArgs } from 'node:util';
import { type BindResult, bind, restore, unbind } from './bind.js';
import { isKernelError, KernelError } from './errors.js';
import { createHost, type Host } from './host.js';
import { hugepages, mountHugetlbfs, parseSize, reserveHugepages, unmountHugetlbfs } from './hugepages.js';
import { listDevices, type PciDevice } from './inventory.js';
import { removeDevice, rescan, slotPower, slots, waitForDevice } from './pci-hotplug.js';
import { readiness } from './readiness.js';
import { listBindings } from './records.js';
import { UeventMonitor } from './uevents.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  host?: Host;
}

const USAGE = `dpdk-hotplug kernel-side commands

  devices [--class net|storage|crypto|<hex>] [--json]
      PCI devices: ids and names, driver, interfaces, NUMA node, IOMMU group, and whether in use
  bind <bdf> --driver vfio-pci|igb_uio|uio_pci_generic|<kernel driver> [--force] [--dry-run] [--json]
  unbind <bdf> [--force] [--dry-run] [--json]
  restore <bdf>|--all [--dry-run] [--json]
      give devices back to the driver they had before the first bind or unbind
  kernel <driver> [--device <bdf>] [--json]
      what the driver (and device) still need: module, IOMMU, /dev/vfio, device in use
  hugepages [--reserve 256M] [--page-size 2M] [--node N] [--mount DIR] [--unmount DIR] [--json]
  pci remove <bdf> [--force] | rescan | slots | power <slot> on|off [--force]
      | wait <bdf> present|absent [--driver X] [--timeout-ms N] | monitor [--subsystem pci]`;

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
    ...r.writes.map(
      (w) =>
        `  echo ${JSON.stringify(w.data.trim())} > ${w.path.startsWith(sysfs) ? `/sys${w.path.slice(sysfs.length)}` : w.path}${w.note ? `  # ${w.note}` : ''}`,
    ),
  ];
}

/** Runs one kernel-side command; resolves the exit code (0 ok, 1 failed, 2 usage). */
export async function main(
  argv: readonly string[],
  io: CliIo = { out: console.log, err: console.error },
): Promise<number> {
  const [command, ...rest] = argv;
  const host = io.host ?? createHost();
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        class: { type: 'string' },
        driver: { type: 'string' },
        device: { type: 'string' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        all: { type: 'boolean' },
        reserve: { type: 'string' },
        'page-size': { type: 'string' },
        node: { type: 'string' },
        mount: { type: 'string' },
        unmount: { type: 'string' },
        subsystem: { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help || !command) {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  const json = values.json === true;
  const print = (data: unknown, lines: () => string[]) => {
    if (json) io.out(JSON.stringify(data, null, 2));
    else for (const l of lines()) io.out(l);
  };
  const need = (v: string | undefined, what: string): string => {
    if (v) return v;
    throw new KernelError('INVALID_ARGUMENT', `${command} needs ${what}`, {
      hint: `see dpdk-hotplug ${command} --help`,
    });
  };
  const opts = { force: values.force === true, dryRun: values['dry-run'] === true };
  try {
    switch (command) {
      case 'devices': {
        const devices = await listDevices(host, values.class ? { class: String(values.class) } : {});
        print(devices, () => devices.map(deviceLine));
        return 0;
      }
      case 'bind': {
        const r = await bind(
          host,
          need(positionals[0], 'a PCI address'),
          need(values.driver as string, '--driver'),
          opts,
        );
        print(r, () => bindLines(r, host.sysfs));
        return 0;
      }
      case 'unbind': {
        const r = await unbind(host, need(positionals[0], 'a PCI address'), opts);
        print(r, () => bindLines(r, host.sysfs));
        return 0;
      }
      case 'restore': {
        const targets = values.all
          ? (await listBindings(host)).map((b) => b.address)
          : [need(positionals[0], 'a PCI address or --all')];
        const results: BindResult[] = [];
        for (const t of targets) results.push(await restore(host, t, { dryRun: opts.dryRun }));
        print(results, () =>
          results.length ? results.flatMap((r) => bindLines(r, host.sysfs)) : ['nothing recorded'],
        );
        return 0;
      }
      case 'kernel': {
        const r = await readiness(
          host,
          need(positionals[0], 'a driver name'),
          values.device as string | undefined,
        );
        print(r, () => [
          `${r.driver}${r.device ? ` for ${r.device}` : ''}: ${r.ready ? 'ready' : 'not ready'}`,
          ...r.checks.map(
            (c) => `  ${c.ok ? 'ok  ' : 'MISS'} ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : ` — ${c.fix}`}`,
          ),
        ]);
        return r.ready ? 0 : 1;
      }
      case 'hugepages':
        return await hugepagesCommand(host, values, print);
      case 'pci':
        return await pciCommand(host, positionals, values, opts, print, io);
      default:
        io.err(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (!isKernelError(e)) throw e;
    if (json)
      io.err(
        JSON.stringify({
          error: { name: e.name, code: e.code, message: e.message, path: e.path, errno: e.errno },
        }),
      );
    else io.err(`dpdk-hotplug ${command}: ${e.message} [${e.code}]`);
    return e.code === 'INVALID_ARGUMENT' || e.code === 'INVALID_PCI_ADDRESS' ? 2 : 1;
  }
}

type Print = (data: unknown, lines: () => string[]) => void;

async function hugepagesCommand(host: Host, values: Record<string, unknown>, print: Print): Promise<number> {
  const pageSizeKb = values['page-size'] ? parseSize(String(values['page-size'])) / 1024 : undefined;
  if (values.reserve) {
    const node = values.node === undefined ? undefined : Number(values.node);
    await reserveHugepages(host, String(values.reserve), {
      ...(pageSizeKb ? { pageSizeKb } : {}),
      ...(node !== undefined ? { node } : {}),
    });
  }
  if (values.mount) await mountHugetlbfs(host, String(values.mount), pageSizeKb ? { pageSizeKb } : {});
  if (values.unmount) await unmountHugetlbfs(host, String(values.unmount));
  const h = await hugepages(host);
  print(h, () => [
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

async function pciCommand(
  host: Host,
  positionals: string[],
  values: Record<string, unknown>,
  opts: { force: boolean },
  print: Print,
  io: CliIo,
): Promise<number> {
  const [sub, a, b] = positionals;
  switch (sub) {
    case 'remove':
      if (!a) throw new KernelError('INVALID_ARGUMENT', 'pci remove needs a PCI address');
      await removeDevice(host, a, opts);
      io.out(`${a}: removed`);
      return 0;
    case 'rescan':
      await rescan(host);
      io.out('rescanned');
      return 0;
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
    case 'power':
      if (!a || (b !== 'on' && b !== 'off'))
        throw new KernelError('INVALID_ARGUMENT', 'pci power needs <slot> on|off');
      await slotPower(host, a, b === 'on', opts);
      io.out(`slot ${a}: power ${b}`);
      return 0;
    case 'wait':
      if (!a || (b !== 'present' && b !== 'absent')) {
        throw new KernelError('INVALID_ARGUMENT', 'pci wait needs <bdf> present|absent');
      }
      await waitForDevice(host, a, b, {
        ...(values.driver ? { driver: String(values.driver) } : {}),
        ...(values['timeout-ms'] ? { timeoutMs: Number(values['timeout-ms']) } : {}),
      });
      io.out(`${a}: ${b}`);
      return 0;
    case 'monitor': {
      const monitor = new UeventMonitor(values.subsystem ? { subsystems: [String(values.subsystem)] } : {});
      await monitor.ready;
      process.once('SIGINT', () => monitor.close());
      for await (const e of monitor) {
        io.out(values.json ? JSON.stringify(e) : `${e.seqnum} ${e.action} ${e.subsystem} ${e.devpath}`);
      }
      return 0;
    }
    default:
      throw new KernelError('INVALID_ARGUMENT', `unknown pci command "${sub ?? ''}"`, {
        hint: 'use remove, rescan, slots, power, wait or monitor',
      });
  }
}
