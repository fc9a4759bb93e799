import {
  dutsFromInventory,
  preparationTable,
  prepareRunner,
  type RunnerPreparation,
  readInventory,
} from '@dpdk-hotplug/conformance';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { createHost, type Host } from '@dpdk-hotplug/linux';
import type { CliIo } from '../cli.js';

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
