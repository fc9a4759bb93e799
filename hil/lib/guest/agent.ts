// The virtual lab's guest side: runs as the guest's only program (from guest.sh), prepares the
// kernel side with @dpdk-hotplug/linux, then runs each case in a child process and appends its
// summary to results.jsonl as soon as it ends, so a crash or a timeout loses nothing before it.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CheckResult, type DutSummary, judgeDut } from '@dpdk-hotplug/conformance';
import {
  createHost,
  getDevice,
  moduleOf,
  mountHugetlbfs,
  reserveHugepages,
  slotPower,
} from '@dpdk-hotplug/linux';
import { NIC_MODELS, type PluggedNic } from '../virtual/machine.js';
import { call } from '../virtual/mailbox.js';
import { type LabCase, type LabPlan, plannedChecks } from './plan.js';
import { plugNic } from './plug.js';

const runDir = process.argv[2]!;
const plan = JSON.parse(readFileSync(join(runDir, 'plan.json'), 'utf8')) as LabPlan;
const host = createHost();
const say = (m: string) => process.stdout.write(`[guest ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

function modprobe(modules: string[]): void {
  execFileSync('modprobe', ['-d', plan.modulesRoot, '-a', ...modules], { stdio: 'inherit' });
}

async function plugPeer(): Promise<{ nic: PluggedNic; ifname: string } | null> {
  if (!plan.peer) return null;
  const { nic, bdf } = await plugNic(runDir, host, plan.peer);
  let ifname = '';
  for (let i = 0; i < 100 && !ifname; i++) {
    ifname = (await getDevice(host, bdf)).interfaces[0]?.name ?? '';
    if (!ifname) await new Promise((r) => setTimeout(r, 50));
  }
  execFileSync('ip', ['link', 'set', 'dev', ifname, 'up', 'promisc', 'on']);
  return { nic, ifname };
}

function runCase(c: LabCase, peerIf: string | undefined): Promise<DutSummary> {
  const out = join(runDir, `case-${c.name}.jsonl`);
  writeFileSync(out, '');
  const started = Date.now();
  const script = fileURLToPath(new URL('./case.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [script, runDir, JSON.stringify(c), out, ...(peerIf ? [peerIf] : [])],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, c.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      const checks: CheckResult[] = lines.filter((l) => 'status' in l);
      const planned = plannedChecks(c);
      const error = lines.find((l) => 'error' in l)?.error as string | undefined;
      const meta = Object.assign({}, ...lines.filter((l) => 'meta' in l).map((l) => l.meta)) as {
        dpdkVersion?: string;
        bdf?: string;
        leaks?: DutSummary['leaks'];
      };
      if (timedOut || signal || error) {
        const next = planned.find((id) => !checks.some((x) => x.id === id));
        const why = timedOut
          ? `the case hung: killed after ${c.timeoutMs} ms`
          : signal
            ? `the case process died of ${signal}`
            : `the case process failed: ${error!.split('\n')[0]}`;
        if (next !== undefined)
          checks.push({
            id: next,
            title: `check ${next}`,
            status: 'FAIL',
            reason: why,
            notes: [],
            durationMs: 0,
          });
      }
      resolve(
        judgeDut({
          name: c.name,
          pmd: NIC_MODELS[c.model].pmd,
          devargs: meta.bdf ?? `hot-plugged ${c.model}`,
          pci: {
            model: c.model,
            driver: c.driver,
            kernelDriver: NIC_MODELS[c.model].kernelDriver,
            removal: c.removal,
            qemu: plan.qemuVersion,
            kernel: plan.kernelVersion,
            exit: signal ?? code,
            durationMs: Date.now() - started,
          },
          dpdkVersion: meta.dpdkVersion ?? 'DPDK did not start',
          checks,
          ...(meta.leaks?.length ? { leaks: meta.leaks } : {}),
          planned,
          verdict: 'INCONCLUSIVE',
        }),
      );
    });
  });
}

/** After a failed case: every NIC but the peer is unplugged, so the next case starts clean. */
async function sweep(peer: PluggedNic | undefined): Promise<void> {
  const plugged = await call<PluggedNic[]>(runDir, { op: 'plugged' });
  for (const nic of plugged.filter((p) => p.id !== peer?.id)) {
    say(`sweeping ${nic.id} (${nic.model}) left by a failed case`);
    await call(runDir, { op: 'unplug', id: nic.id });
    await slotPower(host, String(nic.slot), false, { force: true }).catch(() => {});
    await call(runDir, { op: 'wait-deleted', id: nic.id, timeoutMs: 20_000 }, 30_000).catch(() => {});
  }
}

async function main(): Promise<void> {
  say(`kernel ${plan.kernelVersion}, ${plan.cases.length} cases`);
  const drivers = [...new Set(plan.cases.map((c) => c.driver))];
  const models = new Set([...plan.cases.map((c) => c.model), ...(plan.peer ? [plan.peer] : [])]);
  const kernelModules = [...models].map((m) => NIC_MODELS[m].kernelModule);
  modprobe([...drivers.map(moduleOf), ...kernelModules]);
  await reserveHugepages(host, `${plan.hugepagesMb}M`, { pageSizeKb: 2048 });
  await mountHugetlbfs(host, '/dev/hugepages', { pageSizeKb: 2048 });
  const peer = await plugPeer();
  if (peer) say(`peer ${plan.peer} is ${peer.ifname}`);
  for (const c of plan.cases) {
    say(`case ${c.name}`);
    const summary = await runCase(c, peer?.ifname);
    appendFileSync(join(runDir, 'results.jsonl'), `${JSON.stringify(summary)}\n`);
    say(`case ${c.name}: ${summary.verdict}`);
    if (summary.verdict !== 'CERTIFIED') await sweep(peer?.nic);
  }
  writeFileSync(join(runDir, 'guest-done'), '');
}

main().catch((e) => {
  say(`agent failed: ${e?.stack ?? e}`);
  writeFileSync(join(runDir, 'guest-failed'), String(e?.stack ?? e));
  process.exit(1);
});
