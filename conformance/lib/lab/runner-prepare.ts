import {
  bind,
  getDevice,
  type Host,
  hugepages,
  isKernelError,
  loadModule,
  moduleAvailable,
  type PciDevice,
  parseSize,
  type ReadinessCheck,
  readiness,
  rescan,
  reserveHugepages,
} from '@dpdk-hotplug/linux';
import { type Dut, deviceOf } from '../model/dut.js';
import type { DutSummary } from '../model/summary.js';
import { dutNotRun } from '../model/verdict.js';
import type { Inventory } from './inventory.js';

/**
 * Runner preparation: what a lab runner needs before its DUTs can be certified, checked on a
 * `Host` (the real machine, or a FakeMachine in tests), and with `fix` done: modules loaded,
 * hugepages reserved, removed NICs rescanned, free NICs bound to their userspace driver, peers
 * brought up. A NIC the machine uses (an interface up with addresses, routes, a mounted disk:
 * `@dpdk-hotplug/linux`'s "active") is refused and never touched, with or without `fix`.
 */

export type Runner = Inventory['runners'][number];

export interface PrepareItem {
  /** `runner`, or the DUT's name. */
  scope: string;
  check: string;
  ready: boolean;
  detail: string;
  /** What makes it ready (a command, or "--fix does it"). */
  fix?: string;
  /** What --fix did (or, with dryRun, would do) for it. */
  done?: string[];
}

export interface RunnerPreparation {
  runner: string;
  /** The DUTs the runner lists, by name. */
  duts: string[];
  items: PrepareItem[];
  /** DUTs that cannot run here, with the first reason: certify marks them INCONCLUSIVE. */
  notReady: Record<string, string>;
  ready: boolean;
}

export interface PrepareOptions {
  /** Do what is missing (load, reserve, rescan, bind, bring up); otherwise only check. */
  fix?: boolean;
  /** With fix: write nothing, list what would be done. */
  dryRun?: boolean;
  /** The DPDK in use: its version, or the error saying why there is none (ethdev's findDpdk). */
  dpdk: () => { version: string; prefix: string };
}

/** Whether `version` (22.11.11) is the one asked for (22.11, or 22.11.11): a prefix on a dot. */
export function dpdkMatches(version: string, wanted: string): boolean {
  return version === wanted || version.startsWith(`${wanted}.`);
}

const errorText = (e: unknown) =>
  isKernelError(e) ? `${e.message}${e.hint ? ` — ${e.hint}` : ''}` : (e as Error).message;

/** Checks (and with `fix` prepares) one runner of an inventory on `host`. */
export async function prepareRunner(
  host: Host,
  runner: Runner,
  options: PrepareOptions,
): Promise<RunnerPreparation> {
  const items: PrepareItem[] = [];
  const fix = options.fix === true;
  const dryRun = options.dryRun === true;
  const pciDuts = runner.duts.filter((d) => d.pci);
  /** Runner-wide items that are not ready, and the DUTs each keeps from running. */
  const runnerBlocks: { reason: string; blocks: (dut: Dut) => boolean }[] = [];
  const add = (item: PrepareItem, blocks?: (dut: Dut) => boolean) => {
    items.push(item);
    if (!item.ready && blocks) runnerBlocks.push({ reason: `${item.check}: ${item.detail}`, blocks });
    return item;
  };
  const everyDut = () => true;
  const pciDut = (d: Dut) => d.pci !== undefined;

  // DPDK, the version the inventory asks for.
  try {
    const dpdk = options.dpdk();
    const ok = runner.dpdk === undefined || dpdkMatches(dpdk.version, runner.dpdk);
    add(
      {
        scope: 'runner',
        check: 'DPDK',
        ready: ok,
        detail: `${dpdk.version} at ${dpdk.prefix}${runner.dpdk ? ` (the inventory asks for ${runner.dpdk})` : ''}`,
        ...(ok ? {} : { fix: `install DPDK ${runner.dpdk} and select it with DPDK_HOTPLUG_DPDK=PREFIX` }),
      },
      everyDut,
    );
  } catch (e) {
    add(
      {
        scope: 'runner',
        check: 'DPDK',
        ready: false,
        detail: (e as Error).message,
        fix: 'npm run setup (Debian 12: DPDK 22.11), or DPDK_HOTPLUG_DPDK=PREFIX',
      },
      everyDut,
    );
  }

  // Modules: each userspace driver the DUTs use, each kernel driver to give NICs back to.
  const drivers = [...new Set(pciDuts.map((d) => d.pci!.driver!))];
  const kernelDrivers = [...new Set(pciDuts.map((d) => d.pci!.kernelDriver!))];
  for (const driver of [...drivers, ...kernelDrivers]) {
    const loaded = async () =>
      (await host.io.exists(host.sys('bus/pci/drivers', driver))) ||
      (await host.io.exists(host.sys('module', driver.replace(/-/g, '_'))));
    const done: string[] = [];
    if (fix && !(await loaded())) {
      try {
        const load = await loadModule(host, driver, { dryRun });
        if (load.changed) done.push(`${dryRun ? 'would run' : 'ran'} ${load.command.join(' ')}`);
      } catch (e) {
        done.push(`modprobe failed: ${errorText(e)}`);
      }
    }
    const ok = (await loaded()) || (dryRun && done.length > 0 && !done[0]!.startsWith('modprobe failed'));
    const available = ok || (await moduleAvailable(host, driver));
    const userspace = drivers.includes(driver as never);
    add(
      {
        scope: 'runner',
        check: `module ${driver}`,
        ready: ok,
        detail: ok
          ? `${driver} is loaded${dryRun && done.length ? ' (after --fix)' : ''}`
          : `${driver} is not loaded${available ? '' : ' and modprobe cannot find it'} (${userspace ? 'the userspace driver of' : 'the kernel driver to restore'} ${pciDuts
              .filter((d) => d.pci!.driver === driver || d.pci!.kernelDriver === driver)
              .map((d) => d.name)
              .join(', ')})`,
        ...(ok
          ? {}
          : { fix: available ? `--fix runs modprobe ${driver}` : `install the module for ${driver}` }),
        ...(done.length ? { done } : {}),
      },
      (d) => d.pci?.driver === driver || d.pci?.kernelDriver === driver,
    );
  }

  // Hugepages the runner says it needs, free.
  if (runner.hugepages !== undefined) {
    const want = parseSize(runner.hugepages);
    const free = async () =>
      (await hugepages(host)).sizes.reduce((sum, s) => sum + s.free * s.pageSizeKb * 1024, 0);
    const done: string[] = [];
    let have = await free();
    if (fix && have < want) {
      try {
        const r = await reserveHugepages(host, want - have, { add: true, dryRun });
        done.push(
          ...r.writes.map((w) => `${dryRun ? 'would write' : 'wrote'} ${w.data.trim()} to ${w.path}`),
        );
        if (dryRun) have = want;
      } catch (e) {
        done.push(`reserving failed: ${errorText(e)}`);
      }
      if (!dryRun) have = await free();
    }
    const ok = have >= want;
    add(
      {
        scope: 'runner',
        check: 'hugepages',
        ready: ok,
        detail: `${Math.floor(have / 2 ** 20)} MiB free, ${runner.hugepages} wanted${dryRun && done.length ? ' (after --fix)' : ''}`,
        ...(ok ? {} : { fix: `--fix reserves them (dpdk-hotplug hugepages --reserve ${runner.hugepages})` }),
        ...(done.length ? { done } : {}),
      },
      pciDut,
    );
  }

  const netState = await host.net();
  const dutBlocks = new Map<string, string>();
  for (const dut of runner.duts) {
    const first = (item: PrepareItem) => {
      add(item);
      if (!item.ready && !dutBlocks.has(dut.name)) dutBlocks.set(dut.name, `${item.check}: ${item.detail}`);
    };
    if (dut.needsRoot && host.uid !== 0)
      first({
        scope: dut.name,
        check: 'root',
        ready: false,
        detail: 'this DUT needs root',
        fix: 'run as root',
      });
    if (dut.pci) await preparePci(host, dut, { fix, dryRun }, first);
    if (dut.traffic === 'kernel-peer' && dut.peerInterface && dut.setup === 'none') {
      const done: string[] = [];
      let link = netState.links.find((l) => l.name === dut.peerInterface);
      if (fix && link && !link.up) {
        const command = ['ip', 'link', 'set', dut.peerInterface, 'up'];
        if (dryRun) done.push(`would run ${command.join(' ')}`);
        else {
          const r = await host.exec(command[0]!, command.slice(1));
          done.push(`ran ${command.join(' ')}${r.code ? `: ${r.stderr.trim()}` : ''}`);
          link = (await host.net()).links.find((l) => l.name === dut.peerInterface);
        }
      }
      const up = link?.up === true || (dryRun && done.length > 0);
      first({
        scope: dut.name,
        check: 'peer',
        ready: up,
        detail: !link
          ? `no interface ${dut.peerInterface} on this machine`
          : `${dut.peerInterface} is ${link.up ? 'up' : 'down'}${dryRun && done.length ? ' (up after --fix)' : ''}`,
        ...(up
          ? {}
          : { fix: link ? '--fix brings it up' : 'cable the peer and name its interface in the inventory' }),
        ...(done.length ? { done } : {}),
      });
    }
  }

  const notReady: Record<string, string> = {};
  for (const dut of runner.duts) {
    const blocked = runnerBlocks.find((b) => b.blocks(dut));
    // The DUT's own reason first (the machine uses it, it is absent), then the runner's.
    const reason = dutBlocks.get(dut.name) ?? blocked?.reason;
    if (reason) notReady[dut.name] = reason;
  }
  return {
    runner: runner.name,
    duts: runner.duts.map((d) => d.name),
    items,
    notReady,
    ready: Object.keys(notReady).length === 0,
  };
}

/** One PCI DUT: present with the model's ids, not active, bound (or free to bind), driver ready. */
async function preparePci(
  host: Host,
  dut: Dut,
  { fix, dryRun }: { fix: boolean; dryRun: boolean },
  report: (item: PrepareItem) => void,
): Promise<void> {
  const pci = dut.pci!;
  const bdf = deviceOf(dut).name;
  let dev: PciDevice | undefined;
  const find = async () => {
    try {
      return await getDevice(host, bdf);
    } catch {
      return undefined;
    }
  };
  dev = await find();
  const rescanned: string[] = [];
  if (!dev && fix && pci.removal === 'sysfs-remove') {
    try {
      const writes = await rescan(host, { dryRun });
      rescanned.push(
        ...writes.map((w) => `${dryRun ? 'would write' : 'wrote'} ${w.data.trim()} to ${w.path}`),
      );
      dev = await find();
    } catch (e) {
      rescanned.push(`rescan failed: ${errorText(e)}`);
    }
  }
  const howBack: Record<string, string> = {
    'sysfs-remove': '--fix rescans the bus',
    'slot-power': 'power its slot on (dpdk-hotplug pci power SLOT on)',
    qemu: 'plug it (device_add; the virtual lab does it)',
    none: 'seat the NIC, or correct its address in the inventory',
  };
  // The PCI checks plug a NIC QEMU removes themselves (check 101): absent is a state they start from.
  const plugsItself = !dev && pci.unplug !== undefined && pci.removal === 'qemu';
  report({
    scope: dut.name,
    check: 'present',
    ready: dev !== undefined || plugsItself,
    detail: dev
      ? `${bdf} is there`
      : `no PCI device at ${bdf}${plugsItself ? ': check 101 plugs it (device_add)' : ''}`,
    ...(dev || plugsItself ? {} : { fix: howBack[pci.removal ?? 'none'] }),
    ...(rescanned.length ? { done: rescanned } : {}),
  });
  if (!dev) return;
  const ids = `${dev.vendorId}:${dev.deviceId}`;
  report({
    scope: dut.name,
    check: 'model',
    ready: pci.ids === undefined || ids === pci.ids,
    detail:
      pci.ids === undefined || ids === pci.ids
        ? `${ids} (${pci.model})`
        : `${bdf} is ${ids}${dev.names.device ? ` (${dev.names.device})` : ''}, not ${pci.model}'s ${pci.ids}`,
    ...(pci.ids !== undefined && ids !== pci.ids
      ? { fix: 'correct the address or the ids in the inventory' }
      : {}),
  });
  if (pci.ids !== undefined && ids !== pci.ids) return;
  if (dev.active) {
    // The machine's own NIC (or one it uses): refused, never touched, --fix or not.
    report({
      scope: dut.name,
      check: 'not in use',
      ready: false,
      detail: `the machine uses it: ${dev.activeReasons.join('; ')}; it is never touched`,
      fix: 'take it out of the inventory, or stop using it (bring its interfaces down, remove addresses and routes)',
    });
    return;
  }
  const driver = pci.driver!;
  const done: string[] = [];
  // The PCI checks start from the kernel driver and bind the NIC themselves (check 102).
  const checksBind = pci.unplug !== undefined;
  if (
    !checksBind &&
    dev.driver !== driver &&
    (dev.driver === null || dev.driver === pci.kernelDriver) &&
    fix
  ) {
    try {
      const r = await bind(host, bdf, driver, { dryRun });
      done.push(...r.writes.map((w) => `${dryRun ? 'would write' : 'wrote'} ${w.data.trim()} to ${w.path}`));
      if (!dryRun) dev = (await find()) ?? dev;
    } catch (e) {
      done.push(`bind failed: ${errorText(e)}`);
    }
  }
  const bound = dev.driver === driver;
  const free = dev.driver === null || dev.driver === pci.kernelDriver;
  const willBind = dryRun && done.length > 0 && !done[0]!.startsWith('bind failed');
  const checksWillBind = checksBind && free;
  report({
    scope: dut.name,
    check: 'bound',
    ready: bound || willBind || checksWillBind,
    detail: bound
      ? `bound to ${driver}`
      : free
        ? `bound to ${dev.driver ?? 'no driver'}: free to bind to ${driver}${willBind ? ' (bound after --fix)' : checksWillBind ? ' (check 102 binds it)' : ''}`
        : `bound to ${dev.driver}, neither ${driver} nor its kernel driver ${pci.kernelDriver}`,
    ...(bound || willBind || checksWillBind
      ? {}
      : {
          fix: free
            ? `--fix binds it (dpdk-hotplug bind ${bdf} --driver ${driver})`
            : `find out what uses ${dev.driver}, then dpdk-hotplug unbind ${bdf}`,
        }),
    ...(done.length ? { done } : {}),
  });
  // The userspace driver's own needs for this device (IOMMU and its group, uio, /dev/vfio).
  let needs: ReadinessCheck[] = [];
  try {
    needs = (await readiness(host, driver, bdf)).checks.filter(
      (c) => c.name !== 'driver loaded' && c.name !== 'device free',
    );
  } catch (e) {
    needs = [{ name: driver, ok: false, detail: errorText(e) }];
  }
  for (const c of needs)
    report({
      scope: dut.name,
      check: c.name,
      ready: c.ok,
      detail: c.detail,
      ...(c.fix ? { fix: c.fix } : {}),
    });
}

/** The preparation as a table: scope, check, READY / NOT READY, what was found, and the fix. */
export function preparationTable(p: RunnerPreparation): string[] {
  const rows = p.items.map((i) => [
    i.scope,
    i.check,
    i.ready ? 'ready' : 'NOT READY',
    `${i.detail}${i.ready || !i.fix ? '' : ` — fix: ${i.fix}`}`,
  ]);
  const width = (n: number) =>
    Math.max(...rows.map((r) => r[n]!.length), ['', 'what', 'check', 'status'][n]!.length);
  const line = (r: string[]) =>
    `${r[0]!.padEnd(width(0))}  ${r[1]!.padEnd(width(1))}  ${r[2]!.padEnd(width(2))}  ${r[3]}`.trimEnd();
  const out = [line(['what', 'check', 'status', 'detail']), ...rows.map(line)];
  for (const i of p.items) for (const d of i.done ?? []) out.push(`  ${i.scope} ${i.check}: ${d}`);
  for (const name of p.duts) {
    const why = p.notReady[name];
    out.push(`${why ? 'CANNOT RUN' : 'can run   '} ${name}${why ? `: ${why}` : ''}`);
  }
  const blocked = Object.keys(p.notReady).length;
  out.push(
    `runner ${p.runner}: ${blocked ? `${blocked} of ${p.duts.length} DUT(s) cannot run` : `ready, ${p.duts.length} DUT(s)`}`,
  );
  return out;
}

/**
 * The DUTs of `runners` that cannot run on this machine, as INCONCLUSIVE summaries saying why
 * (certify leaves them out of the run): preparation, checked only, never fixed here.
 */
export async function unpreparedDuts(
  host: Host,
  runners: readonly Runner[],
  dpdk: PrepareOptions['dpdk'],
  inventoryFile: string,
): Promise<DutSummary[]> {
  let dpdkVersion = 'DPDK (none found)';
  try {
    dpdkVersion = `DPDK ${dpdk().version}`;
  } catch {}
  const out: DutSummary[] = [];
  for (const runner of runners) {
    const p = await prepareRunner(host, runner, { dpdk });
    for (const dut of runner.duts) {
      const why = p.notReady[dut.name];
      if (!why) continue;
      out.push(
        dutNotRun(
          { ...dut, runner: runner.name },
          dpdkVersion,
          `runner ${runner.name} is not prepared for it: ${why} (dpdk-hotplug lab prepare --inventory ${inventoryFile} --runner ${runner.name} [--fix])`,
        ),
      );
    }
  }
  return out;
}
