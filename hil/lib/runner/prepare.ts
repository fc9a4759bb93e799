import type { CliIo } from '@dpdk-hotplug/args';
import {
  deviceOf,
  dutsFromInventory,
  preparationTable,
  prepareRunner,
  type RunnerPreparation,
  readInventory,
} from '@dpdk-hotplug/conformance';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { createHost, type Host, listBindings, restore } from '@dpdk-hotplug/linux';

export interface PrepareCommand {
  inventory: string;
  runner: string;
  fix: boolean;
  dryRun: boolean;
}

/**
 * `dpdk-hotplug lab prepare`: one runner of an inventory, checked (and with --fix prepared) on
 * this machine, or on the host a test passes. Exit 0 when every DUT can run, 1 otherwise.
 */
export async function prepareCommand(
  args: PrepareCommand,
  io: CliIo,
  json: boolean,
  host: Host = createHost(),
  dpdk: () => { version: string; prefix: string } = () => findDpdk(),
): Promise<number> {
  const inventory = readInventory(args.inventory);
  dutsFromInventory(inventory, args.runner); // an unknown runner is refused, the nearest named
  const runner = inventory.runners.find((r) => r.name === args.runner)!;
  const prepared: RunnerPreparation = await prepareRunner(host, runner, {
    fix: args.fix,
    dryRun: args.dryRun,
    dpdk,
  });
  if (json) io.out(JSON.stringify(prepared, null, 2));
  else for (const line of preparationTable(prepared)) io.out(line);
  return prepared.ready ? 0 : 1;
}

export interface RestoreCommand {
  inventory: string;
  runner: string;
  dryRun: boolean;
}

/**
 * `dpdk-hotplug lab prepare --restore`: each PCI NIC of the runner that `--fix` bound goes back
 * to the kernel driver recorded then (packages/linux's restore), one line each; NICs with no
 * record are left alone. A CI job runs it whatever happened to the run. Exit 1 when a NIC could
 * not be given back (the others still are), else 0.
 */
export async function restoreCommand(
  args: RestoreCommand,
  io: CliIo,
  json: boolean,
  host: Host = createHost(),
): Promise<number> {
  const inventory = readInventory(args.inventory);
  const nics = dutsFromInventory(inventory, args.runner).filter((d) => d.pci !== undefined);
  const recorded = new Set((await listBindings(host)).map((r) => r.address as string));
  const done: { dut: string; device: string; outcome: string; detail: string }[] = [];
  for (const dut of nics) {
    const bdf = deviceOf(dut).name;
    if (!recorded.has(bdf)) {
      done.push({ dut: dut.name, device: bdf, outcome: 'untouched', detail: 'no binding recorded' });
      continue;
    }
    try {
      const r = await restore(host, bdf, { dryRun: args.dryRun });
      const to = r.to ?? 'no driver';
      done.push({
        dut: dut.name,
        device: bdf,
        outcome: r.dryRun ? 'would restore' : r.changed ? 'restored' : 'already',
        detail: r.dryRun
          ? r.writes.map((w) => `${w.path} <- ${w.data}`).join('; ') || `already on ${to}`
          : `${r.from ?? 'no driver'} -> ${to}`,
      });
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      done.push({ dut: dut.name, device: bdf, outcome: 'FAILED', detail: e.message.split('\n')[0]! });
    }
  }
  if (json) io.out(JSON.stringify(done, null, 2));
  else {
    for (const d of done) io.out(`${d.outcome.padEnd(13)} ${d.dut} (${d.device}): ${d.detail}`);
    io.out(
      `runner ${args.runner}: ${nics.length} PCI NIC(s), ${done.filter((d) => d.outcome === 'restored').length} restored`,
    );
  }
  return done.some((d) => d.outcome === 'FAILED') ? 1 : 0;
}
