import { writeFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { names, outputFolder } from '@dpdk-hotplug/args';
import {
  certify,
  dutsFromInventory,
  expectedFindings,
  ownExpectations,
  parseShard,
  readInventory,
  shardOf,
} from '@dpdk-hotplug/conformance';
import { findDpdk } from '@dpdk-hotplug/ethdev';
import { CERTIFY_FOLDER, RUNNER_RECORD, type RunnerRecord } from './record.js';

export { CERTIFY_FOLDER, RUNNER_RECORD, type RunnerRecord } from './record.js';

export interface LabRunOptions {
  inventory: string;
  runner: string;
  out: string;
  shard?: string;
  /** Known findings, FILE or auto: certify's --expect (the DUTs' own files apply with or without it). */
  expect?: string;
  /** Comma-separated DUT names of the runner: only those (certify's --only). */
  only?: string;
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
  const all = shardOf(dutsFromInventory(inventory, options.runner), shard);
  const only =
    options.only === undefined
      ? undefined
      : names(
          '--only',
          options.only,
          all.map((d) => d.name),
          'DUT named',
        );
  const duts = only ? all.filter((d) => only.includes(d.name)) : all;
  const own = ownExpectations(duts);
  const out = outputFolder('--out', options.out);
  let dpdk = 'none found';
  try {
    dpdk = findDpdk().version;
  } catch {}
  // What --expect reads here, for lab merge; a bad --expect is certify's to refuse (exit 2).
  let expect: RunnerRecord['expect'];
  if (options.expect !== undefined)
    try {
      const read = expectedFindings(options.expect, [`DPDK ${dpdk}`], {});
      if (read) expect = { given: options.expect, files: read.files, list: read.list };
    } catch {}
  const record: RunnerRecord = {
    tool: 'dpdk-hotplug lab run',
    inventory: options.inventory,
    runner: options.runner,
    ...(options.shard ? { shard: options.shard } : {}),
    machine: { hostname: hostname(), kernel: `Linux ${release()}`, dpdk },
    duts: duts.map((d) => d.name),
    ...(Object.keys(own).length ? { expectations: own } : {}),
    ...(expect ? { expect } : {}),
    startedAt: new Date().toISOString(),
  };
  const write = () => writeFileSync(join(out, RUNNER_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  write();
  // PCI DUTs the runner can take away and bring back run the PCI checks with this runner's lab,
  // one DUT at a time: a bus rescan or a slot's power touches more than one DUT's NIC.
  const pci = duts.some((d) => d.pci?.unplug);
  const code = await certify(
    [
      'certify',
      '--inventory',
      options.inventory,
      '--runner',
      options.runner,
      ...(options.shard ? ['--shard', options.shard] : []),
      ...(options.expect !== undefined ? ['--expect', options.expect] : []),
      ...(only ? ['--only', only.join(',')] : []),
      '--blob',
      '--out',
      join(out, CERTIFY_FOLDER),
      ...(options.certifyArgs ?? []),
      ...(pci ? ['--workers', '1'] : []),
    ],
    pci ? { pciLab: { module: fileURLToPath(new URL('./pci-lab.js', import.meta.url)) } } : {},
  );
  record.finishedAt = new Date().toISOString();
  record.exitCode = code;
  write();
  return code;
}
