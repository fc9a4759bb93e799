// One PCI DUT in the guest, in a process of its own (one EAL per process): plug, bind, attach,
// traffic, detach, restore, unplug — each check's result appended to the case's file as it ends.
import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '@dpdk-hotplug/conformance';
import { analyzeLeaks, Eal, type PortId } from '@dpdk-hotplug/ethdev';
import { bind, createHost, getDevice, restore, slotPower, waitForDevice } from '@dpdk-hotplug/linux';
import { NIC_MODELS, type PluggedNic } from '../virtual/machine.js';
import { call } from '../virtual/mailbox.js';
import { type LabCase, PCI_CHECKS, type PciCheckId } from './plan.js';
import { plugNic } from './plug.js';

const [runDir, caseJson, out, peerIf] = process.argv.slice(2) as [string, string, string, string | undefined];
const c = JSON.parse(caseJson) as LabCase;
const host = createHost();
const ids = NIC_MODELS[c.model];

/** How long stop + close may take once the device is gone. */
const REMOVAL_BUDGET_MS = 5000;

class CheckFailed extends Error {}
const fail = (why: string): never => {
  throw new CheckFailed(why);
};

/** A check's body returns its reason to pass, or `{ failed }` for a finding after which the case goes on. */
type Outcome = string | undefined | { failed: string };

async function check(id: PciCheckId, body: () => Promise<Outcome>): Promise<void> {
  const started = performance.now();
  const base = { id, title: PCI_CHECKS[id], notes: [] as string[], durationMs: 0 };
  let result: CheckResult;
  let fatal = true;
  try {
    const outcome = await body();
    if (typeof outcome === 'object') {
      fatal = false;
      result = { ...base, status: 'FAIL', reason: outcome.failed };
    } else {
      result = { ...base, status: 'PASS', ...(outcome ? { reason: outcome } : {}) };
    }
  } catch (e) {
    const err = e as { message?: string; code?: string; dpdkLog?: string[] };
    result = {
      ...base,
      status: 'FAIL',
      reason: `${err.message ?? String(e)}${err.code ? ` [${err.code}]` : ''}`,
      notes: (err.dpdkLog ?? []).slice(-5),
    };
  }
  result.durationMs = Math.round(performance.now() - started);
  appendFileSync(out, `${JSON.stringify(result)}\n`);
  if (result.status === 'FAIL' && fatal) throw new CheckFailed(result.reason);
}

const plugged = () => plugNic(runDir, host, c.model);

const frame = (tag: number) => {
  const f = Buffer.alloc(64);
  f.fill(0xff, 0, 6); // broadcast
  Buffer.from([0x02, 0, 0, 0, 0, 1]).copy(f, 6);
  f.writeUInt16BE(0x88b5, 12); // local experimental ethertype
  f.writeUInt32BE(tag, 14);
  return f;
};
const peerRx = () =>
  peerIf ? Number(readFileSync(`/sys/class/net/${peerIf}/statistics/rx_packets`, 'utf8')) : 0;

async function unplug(nic: PluggedNic, bdf: string, fast: boolean): Promise<string> {
  const t = performance.now();
  await call(runDir, { op: 'unplug', id: nic.id });
  // Powering the slot off finishes the unplug at once; otherwise the attention button waits 5 s.
  if (fast) await slotPower(host, String(nic.slot), false, { force: true }).catch(() => {});
  await waitForDevice(host, bdf, 'absent', { timeoutMs: 20_000 });
  await call(runDir, { op: 'wait-deleted', id: nic.id, timeoutMs: 20_000 }, 30_000);
  return `gone from the guest and QEMU in ${Math.round(performance.now() - t)} ms`;
}

async function main(): Promise<void> {
  // Set by check 101; every later check runs only if it passed.
  let nic!: PluggedNic;
  let bdf = '';
  await check(101, async () => {
    ({ nic, bdf } = await plugged());
    const d = await getDevice(host, bdf);
    return `${bdf} in slot ${nic.slot}, driver ${d.driver}, interfaces ${d.interfaces.map((i) => i.name).join(', ') || 'none'}`;
  });
  await check(102, async () => {
    const r = await bind(host, bdf, c.driver, { force: true });
    const d = await getDevice(host, bdf);
    if (d.driver !== c.driver) fail(`bound to ${d.driver}`);
    if (d.interfaces.length) fail(`interfaces still there: ${d.interfaces.map((i) => i.name).join(', ')}`);
    return `${r.writes.length} sysfs writes`;
  });
  const eal = Eal.init({
    memoryMb: 64,
    allow: ['0000:00:00.0'],
    filePrefix: `lab-${process.pid}`,
    logLevel: 'notice',
    logEcho: false,
    ...(c.driver !== 'vfio-pci' ? { iovaMode: 'pa' as const } : {}),
  });
  // What the summary names the DUT by: the DPDK that ran and the address the NIC got.
  appendFileSync(out, `${JSON.stringify({ meta: { dpdkVersion: eal.version, bdf } })}\n`);
  let port = -1 as PortId;
  await check(103, async () => {
    port = await eal.attach(bdf);
    const info = eal.port(port);
    if (info.driver !== ids.pmd) fail(`driven by ${info.driver}, expected ${ids.pmd}`);
    return `port ${port}, ${info.driver}, MAC ${info.mac}`;
  });
  await check(104, async () => {
    eal.configure(port);
    eal.start(port);
    const before = peerRx();
    const burst = [1, 2, 3, 4].map(frame);
    let sent = 0;
    const deadline = Date.now() + 5000;
    while (sent < burst.length && Date.now() < deadline) {
      sent += eal.txBurst(port, burst.slice(sent));
      await sleep(10);
    }
    if (sent < burst.length) fail(`only ${sent} of ${burst.length} frames left the port`);
    if (!peerIf) return `${sent} frames sent (no peer to count them)`;
    while (peerRx() - before < sent && Date.now() < deadline + 3000) await sleep(50);
    const got = peerRx() - before;
    if (got < sent) fail(`the peer ${peerIf} counted ${got} of ${sent} frames`);
    return `${sent} frames sent, ${got} counted by the peer ${peerIf}`;
  });
  if (c.removal === 'clean') {
    await check(105, async () => {
      const e = await eal.detach(port).catch((x) => x);
      if (e?.code !== 'PORT_STARTED') fail(`detach of a started port gave ${e?.code ?? 'success'}`);
      if (eal.txBurst(port, [frame(9)]) < 1) fail('the port stopped sending after the refused detach');
      return 'refused with PORT_STARTED; the port still sends';
    });
    await check(106, async () => {
      eal.stop(port);
      eal.close(port);
      const name = await eal.detach(port);
      if (name !== bdf) fail(`detach returned ${name}, expected ${bdf}`);
      if (eal.ports().some((p) => p.device === bdf)) fail('ports() still lists the device');
      return `returned ${name}`;
    });
    await check(107, async () => {
      const attachMs: number[] = [];
      const detachMs: number[] = [];
      const samples: Record<string, number>[] = [];
      for (let i = 0; i < c.cycles; i++) {
        let t = performance.now();
        const p = await eal.attach(bdf);
        attachMs.push(performance.now() - t);
        eal.configure(p);
        eal.start(p);
        eal.stop(p);
        eal.close(p);
        t = performance.now();
        await eal.detach(p);
        detachMs.push(performance.now() - t);
        const { rssBytes: _rss, ...r } = eal.resources();
        samples.push(r);
      }
      const fmt = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} ms`;
      // The vdev suite's leak accounting (check 7), over the same cycles.
      const leaks = analyzeLeaks(samples);
      appendFileSync(out, `${JSON.stringify({ meta: { leaks } })}\n`);
      const timing = `${c.cycles} cycles; attach ${fmt(attachMs)}, detach ${fmt(detachMs)}`;
      const leaking = leaks.filter((l) => l.leaks);
      if (leaking.length) {
        return {
          failed: `${timing}; leaks: ${leaking.map((l) => `${l.resource} grows ${Number(l.slope.toFixed(1))} per cycle`).join(', ')}`,
        };
      }
      return leaks.length
        ? `${timing}; no resource grows per cycle`
        : `${timing}; too few cycles to account leaks (need 6)`;
    });
  } else {
    await check(110, async () => {
      eal.enableHotplugMonitor();
      const removed = new Promise<string>((resolve) =>
        eal.once('remove', (e) => resolve(`${e.source} event`)),
      );
      const t0 = performance.now();
      const ms = () => Math.round(performance.now() - t0);
      await call(runDir, { op: 'unplug', id: nic.id });
      const how = await Promise.race([removed, sleep(20_000).then(() => null)]);
      if (!how) fail('no removal event within 20 s of device_del');
      const tEvent = ms();
      // Each step timed on its own: a PMD may poll the vanished device's registers until timeouts.
      eal.stop(port);
      const tStop = ms();
      eal.close(port);
      const tClose = ms();
      const name = await eal.detach(port);
      const tDetach = ms();
      const teardown = tClose - tEvent;
      await waitForDevice(host, bdf, 'absent', { timeoutMs: 20_000 });
      const tGone = ms();
      await call(runDir, { op: 'wait-deleted', id: nic.id, timeoutMs: 20_000 }, 30_000);
      const timeline = `${how} at ${tEvent} ms after device_del; stopped at ${tStop}, closed at ${tClose}, detached ${name} at ${tDetach} ms; gone from the guest at ${tGone} ms, from QEMU at ${ms()} ms`;
      // A stop or close that blocks for seconds after the device is gone blocks the application
      // with it (DPDK calls are synchronous): past the budget it is a hang, not a pass.
      if (teardown > REMOVAL_BUDGET_MS) {
        return {
          failed: `stop and close took ${teardown} ms after the removal event (budget ${REMOVAL_BUDGET_MS} ms): ${timeline}`,
        };
      }
      return timeline;
    });
    await check(111, async () => {
      ({ nic, bdf } = await plugged());
      await bind(host, bdf, c.driver, { force: true });
      port = await eal.attach(bdf);
      return `port ${port} on ${bdf} again`;
    });
    await check(106, async () => {
      const name = await eal.detach(port, { force: true });
      if (name !== bdf) fail(`detach returned ${name}`);
      return `returned ${name}`;
    });
  }
  await check(108, async () => {
    await restore(host, bdf);
    const d = await getDevice(host, bdf);
    if (d.driver !== ids.kernelDriver) fail(`driver is ${d.driver}, expected ${ids.kernelDriver}`);
    return `back on ${d.driver}${d.interfaces.length ? ` with ${d.interfaces.map((i) => i.name).join(', ')}` : ''}`;
  });
  await check(109, () => unplug(nic, bdf, true));
  eal.cleanup();
}

main().then(
  () => process.exit(0),
  (e) => {
    if (!(e instanceof CheckFailed))
      appendFileSync(out, `${JSON.stringify({ error: String(e?.stack ?? e) })}\n`);
    process.exit(1);
  },
);
