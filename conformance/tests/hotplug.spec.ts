/**
 * The certification checks, one test per item, run against the project's DUT in its own worker
 * process and EAL. Sources: DTS hotplug/hotplug_mp test plans, OKTET dpdk-pmd-ts test_detach.c,
 * DPDK's app/test and testpmd.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  analyzeLeaks,
  type Eal,
  errnoName,
  type HotplugError,
  isHotplugError,
  type PortId,
  percentile,
} from '@dpdk-hotplug/ethdev';
import type { TestInfo } from '@playwright/test';
import { ControlOutcomes, reRunWithControls } from '../dist/checks/mp-controls.js';
import { mpOracleCheck } from '../dist/checks/mp-oracle-check.js';
import { oracleCheck, ownSockets } from '../dist/checks/oracle-check.js';
import { configureWithPoolControl } from '../dist/checks/pool-control.js';
import { addFinding } from '../dist/common/check-findings.js';
import {
  CycleLog,
  type CycleRecord,
  type ReattachFailure,
  readCycles as readCyclesIn,
  type StartFailure,
  sensitivity,
} from '../dist/common/cycles.js';
import { readMpOutcome, UNFINISHED, writeMpOutcome } from '../dist/common/mp-outcome.js';
import { checkTitle } from '../dist/model/catalogue.js';
import type { Dut } from '../dist/model/dut.js';
import { ownHelperPorts } from '../dist/model/helper-ports.js';
import { cyclesFor } from '../dist/model/settings.js';
import {
  countingSteps,
  type MpGroup,
  runMpScenario,
  SecondaryUnavailable,
} from '../dist/multi-process/mp-scenario.js';
import { runEalChild } from '../dist/processes/eal-child-run.js';
import { lineChart } from '../dist/reports/charts.js';
import { hasTestpmd } from '../dist/testpmd/testpmd.js';
import type { Lab } from '../dist/worker/dut-environment.js';
import { expect, extendTimeout, test } from '../dist/worker/fixtures.js';
import { leftBehindSaid } from '../dist/worker/left-behind.js';

/** The Node running the checks: its memory accounting differs by major (check 7). */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * The DUT's devargs and helper ports for a process of its own (checks 13, 14): bonding's members
 * are probed there first; virtio_user connects to the worker's own vhost backend, across
 * processes, as a vhost-user socket is meant to be used.
 */
function helpersOf(dut: Dut, lab: Lab, version: string): { devargs: string; helpers: string[] } {
  if (dut.setup !== 'null-members') return { devargs: lab.devargs, helpers: [] };
  return ownHelperPorts(dut, version, '');
}

function errorOf(fn: () => unknown): HotplugError | undefined {
  try {
    fn();
  } catch (e) {
    if (isHotplugError(e)) return e;
    throw e;
  }
  return undefined;
}

/** Cycles check 6 runs whatever its time budget: at 20, check 7 sees 256 B of heap a cycle. */
const LEAK_CYCLES = 20;

function lowestFreeId(eal: Eal): number {
  const used = new Set(eal.ports().map((p) => p.id as number));
  let id = 0;
  while (used.has(id)) id++;
  return id;
}

/** Configures (with the DUT's pool) and starts; a refused queue setup gets its control (lib/checks/pool-control.ts). */
async function up(eal: Eal, port: PortId, lab: Lab): Promise<PortId> {
  await configureWithPoolControl(eal, port, lab.devargs, lab.mbufs);
  eal.start(port);
  return port;
}

async function traffic(eal: Eal, lab: Lab, port: PortId, testInfo?: TestInfo): Promise<void> {
  const result = await lab.traffic!(eal, port);
  const said = `sent ${result.sent}, received ${result.received}: ${result.detail}`;
  testInfo?.annotations.push({ type: 'traffic', description: said });
  expect(result.ok, `traffic failed: ${said}`).toBe(true);
}

function skipWithoutTraffic(lab: Lab, note?: string): void {
  test.skip(!lab.traffic, `the DUT's traffic cannot be observed here${note ? `: ${note}` : ''}`);
}

async function attachJson(testInfo: TestInfo, name: string, data: unknown): Promise<void> {
  await testInfo.attach(name, { body: JSON.stringify(data, null, 2), contentType: 'application/json' });
}

test(checkTitle(1), async ({ eal, lab, dut, device, events }) => {
  // Steps: attach the DUT. Verify: a port id in range, listed as attached, its info names the
  // device and the PMD; exactly one attach event for it.
  const port = await eal.attach(lab.devargs);
  expect(port).toBeGreaterThanOrEqual(0);
  expect(port).toBeLessThan(32);
  const info = eal.port(port);
  expect(info).toMatchObject({ id: port, device, state: 'attached' });
  if (dut.pmd !== 'pci') expect(info.driver).toBe(dut.pmd);
  await events.settle();
  expect(events.attached.filter((e) => e.device === device)).toEqual([
    expect.objectContaining({ port, device }),
  ]);
});

test(checkTitle(2), async ({ eal, lab, dut }, testInfo) => {
  skipWithoutTraffic(lab, dut.trafficNote);
  const port = await up(eal, await eal.attach(lab.devargs), lab);
  await traffic(eal, lab, port, testInfo);
  expect(eal.stats(port).txPackets).toBeGreaterThan(0);
});

test(checkTitle(3), async ({ eal, lab }, testInfo) => {
  const port = await up(eal, await eal.attach(lab.devargs), lab);
  const refused = errorOf(() => eal.detachSync(port));
  expect(refused?.code).toBe('PORT_STARTED');
  expect(eal.port(port).state).toBe('started');
  if (lab.traffic) await traffic(eal, lab, port, testInfo);
  // No traffic: the port still answers for its counters, and nothing was sent through it.
  else expect(eal.stats(port).txPackets).toBe(0);
});

test(checkTitle(4), async ({ eal, lab, device, events }) => {
  const before = eal.resources().ports;
  const port = await up(eal, await eal.attach(lab.devargs), lab);
  eal.stop(port);
  eal.close(port);
  expect(await eal.detach(port)).toBe(device);
  expect(eal.ports().map((p) => p.id)).not.toContain(port);
  // Every port the device brought (sub-devices of failsafe too) is gone.
  expect(eal.resources().ports).toBe(before);
  expect(errorOf(() => eal.port(port))?.code).toBe('PORT_NOT_FOUND');
  await events.settle();
  expect(events.detached.filter((e) => e.device === device)).toHaveLength(1);
});

test(checkTitle(5), async ({ eal, lab }, testInfo) => {
  const first = await eal.attach(lab.devargs);
  eal.close(first);
  await eal.detach(first);
  const expected = lowestFreeId(eal);
  const again = await eal.attach(lab.devargs);
  expect(again).toBe(expected);
  if (lab.traffic) await traffic(eal, lab, await up(eal, again, lab), testInfo);
});

test(checkTitle(6), async ({ eal, lab, labSetUp, dut, device, settings, watchdog, progress }, testInfo) => {
  // Steps: up to N cycles (or the time budget) of attach, info, configure, start, refused detach,
  // a packet sent, stop, close, detach; every 50th cycle the full traffic check.
  // Verify: every step of every cycle; records latency and resources per cycle for checks 7 and 15.
  // A port that cannot start (softnic without a pipeline spec) fails the check at its first start
  // and still gets the cycles, as attach/close/detach: check 7 judges them. An attach that fails
  // after a detach names what the first detach left behind (net_softnic's rings: -ENOMEM).
  const cycles = cyclesFor(settings, dut.cycles);
  // The cycles check 7 needs to see a leak the size of net_null's (384 B of heap a cycle needs 15:
  // detectionFloor), run past the budget: a loaded runner and a quiet one then judge alike.
  const needed = Math.min(cycles, LEAK_CYCLES);
  extendTimeout(testInfo, watchdog, settings.budgetMs + 60_000);
  const records: CycleRecord[] = [];
  const started = performance.now();
  const probe = [Buffer.alloc(64, 0xff)];
  let firstLeft: string | undefined;
  let startFailed: StartFailure | undefined;
  let reattachFailed: ReattachFailure | undefined;
  // One line per cycle as it ends: a crash or a hang keeps the cycles that ran, for checks 7 and 15.
  const log = new CycleLog(testInfo.project.outputDir, cycles);
  // What the process held before the DUT's first attach here (and the log), to say what check 6's
  // first detach left behind.
  const held = 'held' in labSetUp ? labSetUp.held : eal.held();
  const before = { ...held, fds: [...held.fds, realpathSync(log.path)] };
  try {
    // The budget bounds the run, not the cycles check 7 needs to judge: a slow PMD gets them.
    for (let i = 0; i < cycles && (i < needed || performance.now() - started < settings.budgetMs); i++) {
      progress.step('attach', i);
      const t0 = performance.now();
      let port: PortId;
      try {
        port = eal.attachSync(lab.devargs);
      } catch (e) {
        if (i === 0 || !isHotplugError(e)) throw e;
        reattachFailed = { cycle: i, error: `${e.name}: ${e.message}`, leftBehind: firstLeft };
        log.reattachFailed(reattachFailed);
        break;
      }
      const attachMs = performance.now() - t0;
      expect(eal.port(port).device, `cycle ${i}`).toBe(device);
      const upNow = !startFailed;
      if (upNow) {
        progress.step('configure and start', i);
        try {
          await up(eal, port, lab);
        } catch (e) {
          if (!isHotplugError(e)) throw e;
          // From here on, attach/close/detach: the cycles a port that cannot start still owes.
          startFailed = { cycle: i, error: `${e.name}: ${e.message}` };
          log.startFailed(startFailed);
        }
      }
      if (!startFailed) {
        progress.step('detach of the started port (must be refused)', i);
        expect(errorOf(() => eal.detachSync(port))?.code, `cycle ${i}: detach of a started port`).toBe(
          'PORT_STARTED',
        );
        progress.step('traffic', i);
        if (lab.traffic && i % 50 === 0) await traffic(eal, lab, port);
        else if (lab.traffic) eal.txBurst(port, probe);
        progress.step('stop', i);
        eal.stop(port);
      }
      progress.step('close', i);
      eal.close(port);
      progress.step('detach', i);
      const t1 = performance.now();
      expect(eal.detachSync(port), `cycle ${i}`).toBe(device);
      const detachMs = performance.now() - t1;
      progress.step('resource sample', i);
      if (i === 0) firstLeft = leftBehindSaid(before, eal.held()) || undefined;
      const record: CycleRecord = { attachMs, detachMs, resources: sample(eal, lab) };
      if (startFailed) record.started = false;
      records.push(record);
      log.add(record);
      if ((i + 1) % 100 === 0) console.log(`[${dut.name}] cycles ${i + 1}/${cycles}`);
    }
  } finally {
    log.close();
  }
  // Every cycle's steps were asserted in the loop, which runs at least `needed` of them.
  testInfo.annotations.push({
    type: 'cycles',
    description: `${records.length} of ${cycles} cycles in ${((performance.now() - started) / 1000).toFixed(1)} s${records.length < cycles && !reattachFailed ? ` (time budget ${settings.budgetMs / 1000} s)` : ''}${startFailed ? `, ${records.filter((r) => r.started === false).length} of them attach/close/detach only` : ''}`,
  });
  const findings = [
    startFailed &&
      `cycle ${startFailed.cycle}: ${startFailed.error}; the cycles went on as attach/close/detach`,
    reattachFailed && reattachFailedSaid(reattachFailed),
  ].filter(Boolean);
  expect(findings, findings.join('; ')).toEqual([]);
});

/** A re-attach refused after a detach, and its cause when the first detach left something. */
function reattachFailedSaid(f: ReattachFailure): string {
  const cause = f.leftBehind
    ? `; the first detach left behind ${f.leftBehind}, not held before the first attach`
    : '; the first detach left nothing behind that the process can see';
  return `cycle ${f.cycle}: the attach after a clean detach failed: ${f.error}${cause}`;
}

/**
 * The resources after a cycle. RSS is judged without V8's heap and external buffers, which grow
 * and shrink with garbage collection: what is left is what DPDK and the PMD hold.
 */
function sample(eal: Eal, lab: Lab): Record<string, number> {
  const { rssBytes, ...rest } = eal.resources();
  const js = process.memoryUsage();
  return { ...rest, nativeRssBytes: rssBytes - js.heapTotal - js.external, files: lab.files() };
}

function readCycles(testInfo: TestInfo) {
  return readCyclesIn(testInfo.project.outputDir);
}

test(checkTitle(7), async ({}, testInfo) => {
  const data = readCycles(testInfo);
  const reattach = data?.reattachFailed;
  // A detach that kept what the next attach needed: a leak seen whole, over a single cycle.
  if (reattach?.leftBehind && data!.records.length < 10)
    throw new Error(`left behind by a detach: ${reattachFailedSaid(reattach)}`);
  test.skip(
    !data || data.records.length < 10,
    `check 6 recorded fewer than 10 cycles${reattach ? ` (${reattachFailedSaid(reattach)})` : ''}`,
  );
  if (data!.startFailed)
    testInfo.annotations.push({
      type: 'cycles',
      description: `from cycle ${data!.startFailed.cycle}, attach/close/detach only (${data!.startFailed.error})`,
    });
  const samples = data!.records.map((r) => r.resources);
  const verdicts = analyzeLeaks(samples);
  await attachJson(testInfo, 'leaks', verdicts);
  testInfo.annotations.push({ type: 'sensitivity', description: sensitivity(samples.length) });
  for (const v of verdicts.filter((x) => x.oneStep))
    testInfo.annotations.push({
      type: 'one step',
      description: `${v.resource} rose once by ${v.oneStep!.rise} at cycle ${v.oneStep!.cycle} and not again: not a leak`,
    });
  for (const key of ['fds', 'dpdkHeapBytes', 'memzones', 'netdevs', 'nativeRssBytes']) {
    await testInfo.attach(`${key}.svg`, {
      body: lineChart(
        `${key} after each cycle`,
        samples.map((s) => s[key]!),
      ),
      contentType: 'image/svg+xml',
    });
  }
  const leaking = verdicts
    .filter((v) => v.leaks)
    .map(
      (v) =>
        `${v.resource} grows ${+v.slope.toFixed(2)} per cycle (${v.first} → ${v.last} over ${samples.length} cycles)`,
    );
  // Native RSS alone, on Node 24: the suite's measure, not the PMD. In sid's root filesystem (DPDK
  // 25.11) Node 24's workers grew 80–490 KB per cycle for net_null, net_pcap-files and net_bonding,
  // and Node 20 in the same root filesystem, on the same DPDK, nothing.
  if (leaking.length > 0 && leaking.every((l) => l.startsWith('nativeRssBytes')) && NODE_MAJOR >= 24) {
    addFinding(testInfo, {
      fault: 'suite',
      evidence: [
        `Node ${process.versions.node}: the suite's native RSS accounting grows under Node 24 with no DPDK resource growing (Node 20 on the same DPDK shows none)`,
      ],
    });
  }
  expect(leaking.length, `leaks: ${leaking.join('; ')}`).toBe(0);
});

test(checkTitle(8), async ({ eal, lab }) => {
  const port = await up(eal, await eal.attach(lab.devargs), lab);
  const second = errorOf(() => eal.attachSync(lab.devargs));
  expect(second?.code).toBe('ALREADY_ATTACHED');
  expect(eal.port(port).state).toBe('started');
});

test(checkTitle(9), async ({ eal, lab }) => {
  const port = await eal.attach(lab.devargs);
  eal.close(port);
  await eal.detach(port);
  expect(errorOf(() => eal.detachSync(port))?.code).toBe('PORT_NOT_FOUND');
});

test(checkTitle(10), async ({ eal, lab, device }) => {
  const before = eal.resources();
  let bad: HotplugError | undefined;
  try {
    eal.attachSync(`${lab.devargs},dphp_no_such_argument=1`);
    eal.detachDeviceSync(device, { force: true });
  } catch (e) {
    bad = e as HotplugError;
  }
  expect(bad?.code, 'the PMD must refuse an unknown argument (dphp_no_such_argument=1); it accepted it').toBe(
    'ATTACH_FAILED',
  );
  const after = eal.resources();
  expect({ ports: after.ports, memzones: after.memzones, fds: after.fds }).toEqual({
    ports: before.ports,
    memzones: before.memzones,
    fds: before.fds,
  });
  const port = await eal.attach(lab.devargs);
  expect(eal.port(port).device).toBe(device);
});

test(checkTitle(11), async ({ eal, lab, device }, testInfo) => {
  // Steps: calls DPDK must refuse: bad PMD arguments, a queue with 1 and with 65535 descriptors.
  // Verify: each refusal is a defined errno, and not a bare -1 (EPERM) for an invalid argument.
  const seen: { call: string; errno: number; name: string }[] = [];
  const record = (call: string, e: HotplugError | undefined) => {
    if (e?.errno !== undefined) seen.push({ call, errno: e.errno, name: errnoName(e.errno) });
  };
  const bad = errorOf(() => eal.attachSync(`${lab.devargs},dphp_no_such_argument=1`));
  if (!bad) eal.detachDeviceSync(device, { force: true }); // accepted: check 10 reports that
  record('attach with an unknown PMD argument', bad);
  for (const descriptors of [1, 65535]) {
    const port = await eal.attach(lab.devargs);
    record(
      `rx queue setup with ${descriptors} descriptors`,
      errorOf(() => eal.configure(port, { rxDescriptors: descriptors, mbufs: 70_000 })),
    );
    eal.detachSync(port, { force: true });
  }
  await attachJson(testInfo, 'return codes', seen);
  const wrong = seen
    .filter((s) => s.name.startsWith('errno ') || s.errno === 1)
    .map(
      (s) => `${s.call} returned -${s.errno} (${s.name === 'EPERM' ? 'a bare -1, read as EPERM' : s.name})`,
    );
  expect(wrong.length, `not a meaningful negative errno: ${wrong.join('; ')}`).toBe(0);
});

test(checkTitle(12), async ({ eal, lab }) => {
  const left = eal.attachSync('net_null80');
  const middle = await eal.attach(lab.devargs);
  const right = eal.attachSync('net_null81');
  try {
    eal.close(middle);
    await eal.detach(middle);
    const ids = eal.ports().map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining([left, right]));
    expect(ids).not.toContain(middle);
    expect(eal.resources().ports).toBe(ids.length);
    // DPDK gives the lowest free id: the hole, or a lower one a helper left.
    const hole = lowestFreeId(eal);
    expect(hole).toBeLessThanOrEqual(middle);
    expect(await eal.attach(lab.devargs)).toBe(hole);
  } finally {
    eal.detachSync(left, { force: true });
    eal.detachSync(right, { force: true });
  }
});

test(checkTitle(13), async ({ eal, lab, dut, device }) => {
  test.skip(dut.pmd === 'pci', 'PCI DUTs are probed at start by the allow list in the lab runner');
  // Its helper ports (bonding's members) are probed first, in that process too.
  const own = helpersOf(dut, lab, eal.version);
  const args = [
    JSON.stringify([...own.helpers, own.devargs]),
    device,
    ...(lab.mbufs ? [String(lab.mbufs)] : []),
  ];
  // The child prints one JSON line, also for a failure ({ error, message }).
  const r = await runEalChild<{ error?: string; message?: string }>(
    'startup-child.js',
    args,
    'certify-start',
  );
  const said = r.said;
  const why = said?.error ? `${said.message} [${said.error}]` : r.lastError;
  expect(r.signal, `the EAL-start process died: ${why}`).toBeNull();
  expect(r.status, `the EAL-start process failed: ${why}`).toBe(0);
  const out = said as Record<string, unknown>;
  expect(out).toMatchObject({ listed: true, state: 'attached', detached: device, after: false });
});

test(checkTitle(14), async ({ eal, lab, dut, device, multiProcess, watchdog }, testInfo) => {
  // Steps and verifications: lib/multi-process/mp-scenario.ts. A failure is re-run with a control PMD and with
  // the other detach order, and its owner follows from them (lib/checks/mp-controls.ts).
  test.skip(dut.pmd === 'pci', 'PCI DUTs: run in the lab runner');
  const group = await multiProcess();
  // A required check the machine cannot run: the verdict says INCONCLUSIVE, and what it needs.
  if ('unavailable' in group)
    addFinding(testInfo, { needs: `hugepages for DPDK's multi-process mode (${group.unavailable})` });
  test.skip('unavailable' in group, 'unavailable' in group ? group.unavailable : '');
  // Its helper ports are attached in the primary first (the secondary probes them too).
  const own = helpersOf(dut, lab, eal.version);
  const target = {
    devargs: own.devargs,
    device,
    order: 'remove-unclosed' as const,
    settled: lab.settled,
    helpers: own.helpers,
  };
  const annotate = (type: string, description: string) => testInfo.annotations.push({ type, description });
  // How it ends, for check 17 (testpmd's run of the same scenario): written first as unfinished.
  const outDir = testInfo.project.outputDir;
  mkdirSync(outDir, { recursive: true });
  writeMpOutcome(outDir, UNFINISHED);
  const { at, step } = countingSteps((title, body) => test.step(title, body));
  try {
    await runMpScenario(group as MpGroup, { ...target, step, note: annotate });
    writeMpOutcome(outDir, { run: 'check 14', result: 'pass' });
  } catch (e) {
    const unavailable = e instanceof SecondaryUnavailable || (e as Error).name === 'SecondaryUnavailable';
    writeMpOutcome(outDir, {
      run: 'check 14',
      result: unavailable ? 'could not run' : 'fail',
      said: `${at.title}: ${(e as Error).message.split('\n')[0]}`,
      step: at.n,
    });
    if (unavailable) {
      addFinding(testInfo, {
        fault: 'environment',
        needs: 'a secondary DPDK process that can start beside the primary',
        evidence: [`before any attach, tried twice: ${(e as Error).message}`],
      });
      throw e;
    }
    await (group as MpGroup).stop();
    extendTimeout(testInfo, watchdog, testInfo.timeout + 90_000);
    // The controls' outcomes are the run's: in the results folder, beside the DUTs' own.
    const outcomes = new ControlOutcomes(join(dirname(testInfo.project.outputDir), 'mp-controls'));
    const { fault, evidence } = await reRunWithControls(multiProcess, dut, target, outcomes);
    addFinding(testInfo, { fault, evidence });
    throw e;
  }
});

test(checkTitle(15), async ({}, testInfo) => {
  const data = readCycles(testInfo);
  test.skip(!data || data.records.length === 0, 'check 6 recorded no cycles');
  const summary = (xs: number[]) => ({
    p50: percentile(xs, 50),
    p99: percentile(xs, 99),
    max: Math.max(...xs),
  });
  const latency = {
    cycles: data!.records.length,
    attachMs: summary(data!.records.map((r) => r.attachMs)),
    detachMs: summary(data!.records.map((r) => r.detachMs)),
  };
  await attachJson(testInfo, 'latency', latency);
  await testInfo.attach('attach-latency.svg', {
    body: lineChart(
      'attach ms per cycle',
      data!.records.map((r) => r.attachMs),
    ),
    contentType: 'image/svg+xml',
  });
  testInfo.annotations.push({
    type: 'latency',
    description: `attach p50 ${latency.attachMs.p50.toFixed(3)} ms, p99 ${latency.attachMs.p99.toFixed(3)} ms; detach p50 ${latency.detachMs.p50.toFixed(3)} ms, p99 ${latency.detachMs.p99.toFixed(3)} ms`,
  });
  expect(latency.attachMs.p50).toBeGreaterThan(0);
});

test(checkTitle(16), async ({ eal, lab, dut, device }, testInfo) => {
  // Steps and verdict in lib/checks/oracle-check.ts: checks 1–5 through the SDK, then through
  // dpdk-testpmd in a process of its own; every difference is a finding with both sides attached.
  test.skip(dut.pmd === 'pci', 'PCI DUTs: a testpmd of their own needs the lab runner');
  test.skip(!hasTestpmd(), 'dpdk-testpmd (or stdbuf) is not installed');
  const { findings, fault } = await oracleCheck(eal, lab, dut, device, testInfo);
  addFinding(testInfo, { ...(fault ? { fault } : {}), evidence: findings });
  expect(findings, `testpmd and the SDK differ: ${findings.join('; ')}`).toEqual([]);
});

test(checkTitle(17), async ({ eal, lab, dut, device, testpmdMultiProcess }, testInfo) => {
  // Steps: check 14's (lib/multi-process/mp-scenario.ts) through two dpdk-testpmd, but the last detach is the
  // secondary's (lib/checks/mp-oracle.ts, TESTPMD_DIFFERS). Verdict: the same step fails (or none) as in
  // check 14, whose outcome it reads from the DUT's output folder.
  test.skip(dut.pmd === 'pci', 'PCI DUTs: run in the lab runner');
  // Measured on 22.11: testpmd's secondary prints "Device (port 0) link get (without wait)
  // failed: Operation not supported" for a virtio_user port, and no summary row for it
  // (port_summary_display returns early), so it cannot say whether it sees the port.
  test.skip(
    dut.setup === 'vhost-backend',
    "testpmd's secondary lists no virtio_user port (its link get fails: Operation not supported)",
  );
  test.skip(!hasTestpmd(), 'dpdk-testpmd (or stdbuf) is not installed');
  const sdk = readMpOutcome(testInfo.project.outputDir);
  test.skip(!sdk, 'check 14 did not run for this DUT: nothing to compare');
  test.skip(sdk!.result === 'could not run', `check 14 could not run (${sdk!.said}): nothing to compare`);
  const group = await testpmdMultiProcess();
  test.skip('unavailable' in group, 'unavailable' in group ? group.unavailable : '');
  // Socket files of its own, as check 16's testpmd (a listener the worker's PMD kept holds the
  // lab's); virtio_user connects to the worker's backend, bonding's members are attached first.
  const own = helpersOf(dut, lab, eal.version);
  const target = {
    devargs: dut.setup === 'vhost-backend' ? own.devargs : ownSockets(own.devargs, 'testpmd-mp'),
    device,
    settled: lab.settled,
    helpers: own.helpers,
  };
  const { agree, fault, finding, evidence } = await mpOracleCheck(
    group as Exclude<typeof group, { unavailable: string }>,
    target,
    sdk!,
    testInfo,
  );
  testInfo.annotations.push({ type: 'testpmd', description: finding });
  addFinding(testInfo, { ...(fault ? { fault } : {}), evidence });
  expect(agree, finding).toBe(true);
});
