// The virtual lab's guest side: runs as the guest's only program (from guest.sh). It prepares the
// machine (drivers, hugepages, the peer NIC) and runs conformance's PCI spec on Playwright, one
// project per case, with this lab as the spec's lab fixture (virtual-lab.ts). The checks, the
// verdicts and the summary are the suite's; the agent only keeps the machine.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHost, getDevice, moduleOf, mountHugetlbfs, reserveHugepages } from '@dpdk-hotplug/linux';
import { kernelModules } from '../virtual/machine.js';
import type { LabPlan } from './plan.js';
import { startSuite, suiteOutOf, writeSuitePlan } from './suite.js';
import { createPciLab, plugNic, type VirtualLabOptions } from './virtual-lab.js';

const runDir = process.argv[2]!;
const plan = JSON.parse(readFileSync(join(runDir, 'plan.json'), 'utf8')) as LabPlan;
const host = createHost();
const say = (m: string) => process.stdout.write(`[guest ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

function modprobe(modules: string[]): void {
  execFileSync('modprobe', ['-d', plan.modulesRoot, '-a', ...modules], { stdio: 'inherit' });
}

async function plugPeer(): Promise<VirtualLabOptions['peer']> {
  if (!plan.peer) return undefined;
  const { nic, bdf } = await plugNic(runDir, host, plan.peer);
  let ifname = '';
  for (let i = 0; i < 100 && !ifname; i++) {
    ifname = (await getDevice(host, bdf)).interfaces[0]?.name ?? '';
    if (!ifname) await new Promise((r) => setTimeout(r, 50));
  }
  execFileSync('ip', ['link', 'set', 'dev', ifname, 'up', 'promisc', 'on']);
  return { ifname, id: nic.id };
}

/** Runs the PCI spec on every case, one after the other; resolves with its exit code. */
function runSuite(peer: VirtualLabOptions['peer']): Promise<number | null> {
  const planFile = join(runDir, 'suite-plan.json');
  writeSuitePlan(planFile, plan, suiteOutOf(runDir), { runDir, ...(peer ? { peer } : {}) });
  const child = startSuite(planFile, runDir);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

async function main(): Promise<void> {
  say(`kernel ${plan.kernelVersion}, ${plan.cases.length} cases`);
  const drivers = [...new Set(plan.cases.map((c) => c.driver))];
  const models = new Set([...plan.cases.map((c) => c.model), ...(plan.peer ? [plan.peer] : [])]);
  modprobe([...drivers.map(moduleOf), ...new Set([...models].flatMap(kernelModules))]);
  await reserveHugepages(host, `${plan.hugepagesMb}M`, { pageSizeKb: 2048 });
  await mountHugetlbfs(host, '/dev/hugepages', { pageSizeKb: 2048 });
  const peer = await plugPeer();
  if (peer) say(`peer ${plan.peer} is ${peer.ifname}`);
  const code = await runSuite(peer);
  say(`the PCI suite ended with exit code ${code}`);
  const left = await createPciLab({ runDir, ...(peer ? { peer } : {}) }).sweep();
  if (left.length) say(`swept ${left.join(', ')}, left by failed checks`);
  writeFileSync(join(runDir, 'guest-done'), '');
}

main().catch((e) => {
  say(`agent failed: ${e?.stack ?? e}`);
  writeFileSync(join(runDir, 'guest-failed'), String(e?.stack ?? e));
  process.exit(1);
});
