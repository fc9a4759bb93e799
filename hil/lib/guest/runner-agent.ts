// A QEMU guest as a lab runner: runs as the guest's only program (from guest.sh). It makes the
// guest the machine its inventory entry describes — the drivers loaded, the hugepages reserved,
// the NICs that are not QEMU-removed seated in their slots, the peer NIC up — then runs
// `lab run --inventory FILE --runner NAME` as any runner does. The checks, their lab (hil's
// runner lab) and the report folder are lab run's; QEMU only answers the mailbox (plug, unplug).
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceOf, dutsFromInventory, readInventory } from '@dpdk-hotplug/conformance';
import {
  createHost,
  loadModule,
  moduleOf,
  mountHugetlbfs,
  reserveHugepages,
  setLinkUp,
  slots,
  waitForInterface,
  waitForSlot,
} from '@dpdk-hotplug/linux';
import { QEMU_MAILBOX_ENV } from '../runner/pci-lab.js';
import { CERTIFY_FOLDER } from '../runner/record.js';
import { labRun } from '../runner/run.js';
import { describeStopOf } from '../runner/stopped.js';
import { kernelModules, NIC_MODELS, type NicModel, type PluggedNic } from '../virtual/machine.js';
import { call } from '../virtual/mailbox.js';
import { BLOCKED_TASKS_FILE, HEARTBEAT_FILE, HEARTBEAT_MS, KERNEL_LOG_FILE } from '../virtual/stall.js';
import { BlockedTaskWatch, readKernelLog } from './blocked-tasks.js';
import { ProcessTimeline } from './process-timeline.js';

/** What the host hands the guest in `runner-plan.json`. */
export interface GuestRunnerPlan {
  /** `modprobe -d` root of the guest kernel's modules. */
  modulesRoot: string;
  inventory: string;
  runner: string;
  /** lab run's --out, in the run folder the host copies back. */
  out: string;
  /** A NIC bound to its kernel driver that counts the DUTs' frames, plugged in a slot no DUT uses. */
  peer: NicModel | null;
  /** lab run's --expect. */
  expect?: string;
  /** lab run's --cycles. */
  cycles?: string;
  /** lab run's --only: a second attempt's DUTs (the ones a stalled guest did not finish). */
  only?: string;
  /** The lab line of each PCI DUT's report (QEMU, accelerator, guest kernel). */
  lab?: string;
  /** Set for lab run (Node loads the compiled suite without Playwright's loader thread: NATIVE_ESM_ENV). */
  env?: Record<string, string>;
}

const runDir = process.argv[2]!;
const plan = JSON.parse(readFileSync(join(runDir, 'runner-plan.json'), 'utf8')) as GuestRunnerPlan;
const host = createHost();
/** The kernel's log at every level, for the host to copy back (the console has `quiet`'s). */
const saveKernelLog = () => {
  try {
    writeFileSync(join(runDir, KERNEL_LOG_FILE), readKernelLog());
  } catch (e) {
    writeFileSync(join(runDir, KERNEL_LOG_FILE), `(no kernel log: ${e})\n`);
  }
};
const say = (m: string) => process.stdout.write(`[guest ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/**
 * The guest's slot (its root port) for a PCI address: the slot of its bus (a root port's bus
 * holds one card, device 0, and the VFs a PF there makes).
 */
async function slotFor(bdf: string): Promise<number> {
  const address = `${bdf.slice(0, bdf.lastIndexOf(':'))}:00`;
  const slot = (await slots(host)).find((s) => s.address === address)?.slot;
  if (!slot) throw new Error(`${bdf}: no root port of this guest has that address`);
  return Number(slot);
}

async function plugAt(model: NicModel, slot: number): Promise<string> {
  await call<PluggedNic>(runDir, { op: 'plug', model, slot });
  return waitForSlot(host, String(slot), { driver: NIC_MODELS[model].kernelDriver, timeoutMs: 30_000 });
}

async function main(): Promise<void> {
  // The host reads this to tell a running guest from a stalled one (virtual/stall.ts).
  const beat = () => writeFileSync(join(runDir, HEARTBEAT_FILE), readFileSync('/proc/uptime', 'utf8'));
  beat();
  setInterval(beat, HEARTBEAT_MS).unref();
  // Not in guest.log: the host takes a line there for a guest that moves (virtual/stall.ts).
  new BlockedTaskWatch(
    (t) => {
      appendFileSync(join(runDir, BLOCKED_TASKS_FILE), `${JSON.stringify(t)}\n`);
      saveKernelLog();
    },
    { dut: () => describeStopOf(join(plan.out, CERTIFY_FOLDER, 'summary.json')) },
  ).start();
  // Node's start to here: loading the agent's modules (the SDK's packages) over 9p.
  say(
    `agent ready: ${Math.round(performance.now())} ms after node started (uptime ${readFileSync('/proc/uptime', 'utf8').split(' ')[0]} s)`,
  );
  const inventory = readInventory(plan.inventory);
  const runner = inventory.runners.find((r) => r.name === plan.runner);
  const pci = dutsFromInventory(inventory, plan.runner).filter((d) => d.pci?.model);
  const models = pci.map((d) => d.pci!.model as NicModel);
  const unknown = models.filter((m) => !(m in NIC_MODELS));
  if (unknown.length)
    throw new Error(`QEMU emulates no ${unknown.join(', ')} here (${Object.keys(NIC_MODELS).join(', ')})`);
  const modules = new Set([
    ...pci.map((d) => moduleOf(d.pci!.driver!)),
    ...[...models, ...(plan.peer ? [plan.peer] : [])].flatMap(kernelModules),
  ]);
  // A machine has a name: lab run records it with the runner's facts (the kernel gives "(none)").
  execFileSync('hostname', [`${plan.runner}-guest`]);
  for (const m of modules) await loadModule(host, m, { modulesRoot: plan.modulesRoot });
  await reserveHugepages(host, runner?.hugepages ?? '256M', { pageSizeKb: 2048 });
  await mountHugetlbfs(host, '/dev/hugepages', { pageSizeKb: 2048 });
  const slotOf = new Map<string, number>();
  for (const d of pci) slotOf.set(d.name, await slotFor(deviceOf(d).name));
  const used = new Set(slotOf.values());
  // The peer first: its interface is the guest's first (eth0, as the inventory's traffic says).
  if (plan.peer) {
    const free = (await slots(host)).map((s) => Number(s.slot)).find((s) => !used.has(s));
    if (free === undefined) throw new Error('no root port is left for the peer NIC');
    const bdf = await plugAt(plan.peer, free);
    // Under TCG, with other guests booting beside it, e1000 took over the 5 s default to register.
    const ifname = await waitForInterface(host, bdf);
    await setLinkUp(host, ifname, { promisc: true });
    say(`peer ${plan.peer} is ${ifname} (slot ${free})`);
  }
  // A server's NICs are seated before it boots; QEMU-removed ones are plugged by check 101.
  for (const d of pci) {
    if (d.pci!.removal === 'qemu') continue;
    const slot = slotOf.get(d.name)!;
    const bdf = await plugAt(d.pci!.model as NicModel, slot);
    say(`${d.name}: ${d.pci!.model} seated at ${bdf} (slot ${slot}), removed by ${d.pci!.removal}`);
  }
  process.env[QEMU_MAILBOX_ENV] = runDir;
  Object.assign(process.env, plan.env);
  const t0 = performance.now();
  say('lab run starts');
  const timeline = new ProcessTimeline((line) => say(line)).start();
  const code = await labRun({
    inventory: plan.inventory,
    runner: plan.runner,
    out: plan.out,
    ...(plan.expect !== undefined ? { expect: plan.expect } : {}),
    ...(plan.cycles !== undefined ? { cycles: plan.cycles } : {}),
    ...(plan.only !== undefined ? { only: plan.only } : {}),
    ...(plan.lab !== undefined ? { lab: plan.lab } : {}),
  });
  timeline.stop();
  saveKernelLog();
  say(`lab run ended with exit code ${code} after ${Math.round((performance.now() - t0) / 1000)} s`);
  writeFileSync(join(runDir, 'guest-done'), String(code));
}

main().catch((e) => {
  say(`agent failed: ${e?.stack ?? e}`);
  saveKernelLog();
  writeFileSync(join(runDir, 'guest-failed'), String(e?.stack ?? e));
  process.exit(1);
});
