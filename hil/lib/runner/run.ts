import { writeFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { join } from 'node:path';
import { outputFolder } from '@dpdk-hotplug/args';
import { certify, dutsFromInventory, parseShard, readInventory, shardOf } from '@dpdk-hotplug/conformance';
import { findDpdk } from '@dpdk-hotplug/ethdev';

/**
 * What a lab run folder holds besides certify's report (in `certify/`): which runner ran, on
 * which machine, and which DUTs it was to certify, so that `lab merge` can name the DUTs an
 * interrupted runner did not reach.
 */
export interface RunnerRecord {
  tool: 'dpdk-hotplug lab run';
  inventory: string;
  runner: string;
  shard?: string;
  machine: { hostname: string; kernel: string; dpdk: string };
  /** The DUTs this runner (and shard) was to certify, by name. */
  duts: string[];
  startedAt: string;
  /** Unset while the run goes on, or when it was killed. */
  finishedAt?: string;
  exitCode?: number;
}

export const RUNNER_RECORD = 'runner.json';
export const CERTIFY_FOLDER = 'certify';

export interface LabRunOptions {
  inventory: string;
  runner: string;
  out: string;
  shard?: string;
  /** Passed to certify as they are: --cycles, --budget, --workers. */
  certifyArgs?: string[];
}

/**
 * `dpdk-hotplug lab run`: certifies one runner's DUTs (a shard of them) through the one
 * conformance suite, into OUT/certify (summary, JUnit, HTML, and a blob report for lab merge),
 * with OUT/runner.json saying what was planned where. Resolves with certify's exit code.
 */
export async function labRun(options: LabRunOptions): Promise<number> {
  const inventory = readInventory(options.inventory);
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  const duts = shardOf(dutsFromInventory(inventory, options.runner), shard);
  const out = outputFolder('--out', options.out);
  let dpdk = 'none found';
  try {
    dpdk = findDpdk().version;
  } catch {}
  const record: RunnerRecord = {
    tool: 'dpdk-hotplug lab run',
    inventory: options.inventory,
    runner: options.runner,
    ...(options.shard ? { shard: options.shard } : {}),
    machine: { hostname: hostname(), kernel: `Linux ${release()}`, dpdk },
    duts: duts.map((d) => d.name),
    startedAt: new Date().toISOString(),
  };
  const write = () => writeFileSync(join(out, RUNNER_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  write();
  const code = await certify([
    'certify',
    '--inventory',
    options.inventory,
    '--runner',
    options.runner,
    ...(options.shard ? ['--shard', options.shard] : []),
    '--blob',
    '--out',
    join(out, CERTIFY_FOLDER),
    ...(options.certifyArgs ?? []),
  ]);
  record.finishedAt = new Date().toISOString();
  record.exitCode = code;
  write();
  return code;
}
