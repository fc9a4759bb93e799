/**
 * The PCI checks (101–112): a NIC the lab hot-plugs, taken through the kernel and DPDK and away
 * again — plug, bind, attach, traffic to a peer NIC, refused and clean detach, cycles with leak
 * accounting, the same through dpdk-testpmd, restore, unplug, or a surprise removal and a re-plug. The
 * checks of each DUT are a `describe` named after it (declared at the end, `forEachPciDut`); a
 * project's DUTs share its worker and EAL, one DUT after the other; the lab is the `pciLab`
 * fixture (lib/worker/pci-lab.ts).
 *
 * Declared in the order both removals run them; each project runs only the checks each DUT's
 * removal plans (lib/worker/pci-lab.ts, `pciProject`): clean 101–107, 112, 108, 109; surprise 101–104, 110, 111,
 * 106, 112, 108, 109.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { analyzeLeaks, type Eal, type PortId, percentile, type RemoveEvent } from '@dpdk-hotplug/ethdev';
import { createHost, getDevice } from '@dpdk-hotplug/linux';
import type { TestInfo } from '@playwright/test';
import { compareWithTestpmd } from '../dist/checks/oracle-check.js';
import {
  holdOtherPort,
  judgeOtherPort,
  keepBusy,
  namesOtherPort,
  OTHER_PORT_BURST,
  taggedFrame,
} from '../dist/checks/other-port.js';
import { addFinding } from '../dist/common/check-findings.js';
import { sensitivity } from '../dist/common/cycles.js';
import { checkTitle } from '../dist/model/catalogue.js';
import { cyclesFor } from '../dist/model/settings.js';
import { readPlanFile } from '../dist/plan/certification-plan.js';
import { hasTestpmd } from '../dist/testpmd/testpmd.js';
import { extendTimeout } from '../dist/worker/fixtures.js';
import {
  expect,
  forEachPciDut,
  iovaModeOf,
  type PciDut,
  pciOf,
  test,
  whoseIfFails,
} from '../dist/worker/pci-fixtures.js';

/** How long stop + close may take once the device is gone: beyond, the application hangs with it. */
const REMOVAL_BUDGET_MS = 5000;
/** Frames check 104 sends. */
const BURST = 4;

// A hot-plug waits on the guest's kernel and, under emulation, on a slow CPU.
test.describe.configure({ timeout: 120_000 });

const host = createHost();

/** The checks in their order, declared for each DUT at the end of the file. */
const checks: Array<[string, Parameters<typeof test>[2]]> = [];
const check = (title: string, body: Parameters<typeof test>[2]) => void checks.push([title, body]);

/** The checks' frames: broadcast, tagged, from a MAC ending in 1 (the other port's end in 0x0e). */
const frame = (tag: number): Buffer => taggedFrame(tag, 1);

function note(testInfo: TestInfo, type: string, description: string): void {
  testInfo.annotations.push({ type, description });
}

const ms = (t0: number) => Math.round(performance.now() - t0);

async function kernelSide(bdf: string): Promise<{ driver: string; interfaces: string }> {
  const d = await getDevice(host, bdf);
  return { driver: d.driver ?? 'none', interfaces: d.interfaces.map((i) => i.name).join(', ') };
}

/** Sends `count` frames within 5 s; returns how many left the port. */
async function send(eal: Eal, port: Parameters<Eal['txBurst']>[0], count: number): Promise<number> {
  const burst = Array.from({ length: count }, (_, i) => frame(i + 1));
  let sent = 0;
  const deadline = Date.now() + 5000;
  while (sent < burst.length && Date.now() < deadline) {
    sent += eal.txBurst(port, burst.slice(sent));
    if (sent < burst.length) await sleep(10);
  }
  return sent;
}

check(checkTitle(101), async ({ pciLab, pciDut, dut }, testInfo) => {
  // Steps: the lab plugs a NIC of the DUT's model. Verify: it appears, bound to its kernel driver.
  const { model, kernelDriver } = pciOf(dut);
  const t0 = performance.now();
  await whoseIfFails(
    testInfo,
    'environment',
    'no DPDK call is made in plugging: the lab and the kernel',
    async () => {
      const device = await pciLab.plug(model);
      pciDut.save({ device });
      const k = await kernelSide(device.bdf);
      expect(k.driver, `${device.bdf}'s kernel driver`).toBe(kernelDriver);
      note(
        testInfo,
        'plugged',
        `${device.bdf} in slot ${device.slot} after ${ms(t0)} ms, driver ${k.driver}, interfaces ${k.interfaces || 'none'}`,
      );
    },
  );
});

check(checkTitle(102), async ({ pciLab, pciDut, dut }, testInfo) => {
  // Steps: bind the NIC to the DUT's userspace driver. Verify: bound to it, no kernel interface left.
  const { bdf } = pciDut.device();
  const { driver } = pciOf(dut);
  await whoseIfFails(
    testInfo,
    'environment',
    'no DPDK call is made in binding: the kernel helpers',
    async () => {
      const wrote = await pciLab.bind(bdf, driver);
      pciDut.save({ bound: true });
      const k = await kernelSide(bdf);
      expect(k.driver, `${bdf}'s driver after the bind`).toBe(driver);
      expect(k.interfaces, 'kernel interfaces left after the bind').toBe('');
      note(testInfo, 'bind', wrote);
    },
  );
});

check(checkTitle(103), async ({ eal, pciDut, dut }, testInfo) => {
  // Steps: attach the PCI address. Verify: a valid port, driven by the DUT's PMD.
  const { bdf } = pciDut.boundDevice();
  const t0 = performance.now();
  const port = await eal.attach(bdf);
  pciDut.port = port;
  const info = eal.port(port);
  expect(info.device).toBe(bdf);
  expect(info.driver, `the PMD driving ${bdf}`).toBe(dut.pmd);
  note(testInfo, 'port', `port ${port}, ${info.driver}, MAC ${info.mac}, attached in ${ms(t0)} ms`);
});

check(checkTitle(104), async ({ eal, pciDut, pciLab }, testInfo) => {
  // Steps: configure, start, send frames. Verify: they all leave the port and the peer counts them.
  const port = pciDut.attachedPort();
  eal.configure(port);
  eal.start(port);
  pciDut.started = true;
  const before = pciLab.peerFrames();
  const sent = await send(eal, port, BURST);
  expect(sent, 'frames that left the port within 5 s').toBe(BURST);
  if (before === undefined) {
    note(testInfo, 'traffic', `${sent} frames sent (no peer to count them)`);
    return;
  }
  await expect
    .poll(() => pciLab.peerFrames()! - before, {
      message: `frames the peer ${pciLab.peerName} counted`,
      timeout: 3000,
    })
    .toBeGreaterThanOrEqual(sent);
  note(
    testInfo,
    'traffic',
    `${sent} frames sent, ${pciLab.peerFrames()! - before} counted by the peer ${pciLab.peerName}`,
  );
});

check(checkTitle(105), async ({ eal, pciDut }, testInfo) => {
  // Steps: detach the started port. Verify: refused with PORT_STARTED; the port still sends.
  const port = pciDut.attachedPort();
  test.skip(!pciDut.started, 'not run: the port was not started (check 104 failed)');
  const refused = await eal.detach(port).then(
    () => undefined,
    (e: { code?: string }) => e,
  );
  expect(refused?.code ?? 'success', 'detach of a started port').toBe('PORT_STARTED');
  expect(eal.txBurst(port, [frame(9)]), 'frames sent after the refused detach').toBe(1);
  note(testInfo, 'refused', 'PORT_STARTED; the port still sends');
});

/**
 * Check 110's starting point, a started port of the NIC: 104's, or — when a failure before it
 * restarted the worker (104's traffic, say) — one it attaches and starts itself, noted, so that
 * a traffic finding does not hide the removal's outcome.
 */
async function startedPort(eal: Eal, pciDut: PciDut, testInfo: TestInfo): Promise<PortId> {
  if (pciDut.port !== undefined && pciDut.started) return pciDut.port;
  const { bdf } = pciDut.boundDevice();
  test.skip(
    pciDut.port !== undefined,
    'not run: the port attached in this worker was not started (check 104 failed)',
  );
  const t0 = performance.now();
  const port = await eal.attach(bdf);
  pciDut.port = port;
  eal.configure(port);
  eal.start(port);
  pciDut.started = true;
  note(
    testInfo,
    'port',
    `port ${port} attached and started by this check in ${ms(t0)} ms (a check before it failed)`,
  );
  return port;
}

check(checkTitle(110), async ({ eal, pciDut, pciLab, dut }, testInfo) => {
  // Steps: with DPDK's hotplug monitor on and another port of the process held (a net_ring,
  // lib/checks/other-port.ts), the lab pulls the NIC while its port runs, the other port sending
  // until the NIC is gone; stop, close and detach, each timed; the other port judged, released.
  // Verify: the removal event arrives; stop + close within the budget; detach returns the
  // address; the device is gone (a VF's PF kept: the lab's waitGone); the other port unharmed.
  const port = await startedPort(eal, pciDut, testInfo);
  const device = pciDut.device();
  const other = await holdOtherPort(eal).catch((e: Error) => {
    addFinding(testInfo, {
      fault: 'dpdk',
      evidence: [`before the removal, so not ${dut.pmd}'s: ${e.message}`],
    });
    throw e;
  });
  eal.enableHotplugMonitor();
  const events: RemoveEvent[] = [];
  let arrived: (how: string) => void = () => {};
  const removed = new Promise<string>((resolve) => {
    arrived = resolve;
  });
  let tEvent = 0;
  const onRemove = (e: RemoveEvent) => {
    events.push(e);
    // The DUT's event: one naming it, or naming nothing; one naming the other port is judged below.
    if (namesOtherPort(e, other) || tEvent) return;
    tEvent = ms(t0);
    arrived(`${e.source} event`);
  };
  const t0 = performance.now();
  eal.on('remove', onRemove);
  // The other port sends from the pull until the device is gone, as an application keeps
  // polling its other ports while DPDK handles the removal (and, on a worker thread, the detach).
  let handled: () => void = () => {};
  const busy = keepBusy(
    eal,
    other,
    new Promise<void>((resolve) => {
      handled = resolve;
    }),
  );
  let timeline = '';
  let name = '';
  let tDetach = 0;
  let gone: unknown;
  let tGone = 0;
  try {
    await pciLab.surpriseRemove(device);
    pciDut.save({ pulled: true, bound: false });
    const how = await Promise.race([removed, sleep(20_000).then(() => undefined)]);
    expect(how, 'a removal event within 20 s of the removal').toBeDefined();
    // Each step on its own clock: a PMD may poll the vanished device's registers until timeouts.
    eal.stop(port);
    const tStop = ms(t0);
    eal.close(port);
    const tClose = ms(t0);
    timeline = `${how} at ${tEvent} ms after the removal; stopped at ${tStop}, closed at ${tClose} ms`;
    // DPDK calls are synchronous: a stop or close that blocks for seconds blocks the application.
    // The finding is the budget; the removal goes on, so detach and the device's going are judged too.
    expect
      .soft(
        tClose - tEvent,
        `${dut.pmd}: stop and close after the removal event (budget ${REMOVAL_BUDGET_MS} ms): ${timeline}`,
      )
      .toBeLessThanOrEqual(REMOVAL_BUDGET_MS);
    name = await eal.detach(port);
    pciDut.port = undefined;
    tDetach = ms(t0);
    // Under vfio-pci a VF's destruction ends only after the detach. The other port is judged
    // whether or not the lab saw the device go: its health is a finding of its own.
    gone = await pciLab.waitGone(device).then(
      () => undefined,
      (e: unknown) => e,
    );
    tGone = ms(t0);
  } finally {
    handled();
  }
  const sent = await busy;
  const otherPort = await judgeOtherPort(eal, other, events);
  eal.off('remove', onRemove);
  note(
    testInfo,
    'timeline',
    `${timeline}; detached ${name} at ${tDetach} ms; gone from the machine and the lab at ${tGone} ms`,
  );
  note(
    testInfo,
    'other port',
    `${sent.bursts} bursts of ${OTHER_PORT_BURST} from the pull until the device was gone (${sent.failed.length} not looped back); ${otherPort.detail}`,
  );
  const unharmed = [...sent.failed.map((f) => `while the removal was handled, ${f}`), ...otherPort.findings];
  if (unharmed.length)
    // net_ring has no device the removal touched: what harmed it is DPDK's handling of the
    // removal (the EAL's hotplug handler, ethdev), or the DUT's PMD acting beyond its own port.
    addFinding(testInfo, {
      fault: 'dpdk',
      evidence: [
        `the other port (${other.name}, no device on a bus) was harmed by ${dut.pmd}'s device removal: DPDK's core or the PMD`,
        ...unharmed,
      ],
    });
  expect.soft(unharmed, `another port of the process after ${device.bdf} was pulled`).toEqual([]);
  if (gone) throw gone;
  expect(name).toBe(device.bdf);
});

check(checkTitle(111), async ({ eal, pciDut, pciLab, dut }, testInfo) => {
  // Steps: plug the same model again, bind it, attach it. Verify: a port of it again.
  test.skip(pciDut.state.pulled !== true, 'not run: the NIC was not pulled (check 110 failed)');
  const { model, driver } = pciOf(dut);
  const device = await pciLab.plug(model);
  pciDut.save({ device, pulled: false, bound: false });
  await pciLab.bind(device.bdf, driver);
  pciDut.save({ bound: true });
  pciDut.port = await eal.attach(device.bdf);
  const info = eal.port(pciDut.port);
  expect(info.device).toBe(device.bdf);
  expect(info.driver, `the PMD driving ${device.bdf}`).toBe(dut.pmd);
  note(testInfo, 'port', `port ${pciDut.port} on ${device.bdf} again`);
});

check(checkTitle(106), async ({ eal, pciDut }, testInfo) => {
  // Steps: stop (if started), close, detach. Verify: detach returns the PCI address; no port of
  // the device is left.
  const port = pciDut.attachedPort();
  const { bdf } = pciDut.device();
  if (eal.port(port).state === 'started') eal.stop(port);
  eal.close(port);
  const name = await eal.detach(port);
  pciDut.port = undefined;
  pciDut.started = false;
  expect(name).toBe(bdf);
  expect(eal.ports().filter((p) => p.device === bdf)).toEqual([]);
  note(testInfo, 'detach', `returned ${name}`);
});

check(checkTitle(107), async ({ eal, pciDut, settings, dut, watchdog }, testInfo) => {
  // Steps: attach → configure → start → stop → close → detach, `cycles` times, resources
  // sampled after each. Verify: every cycle passes; no resource grows per cycle (the suite's leak
  // rule, after a warm-up); attach and detach latency reported.
  const { bdf } = pciDut.boundDevice();
  test.skip(
    eal.ports().some((p) => p.device === bdf),
    'not run: the device is still attached (check 106 failed)',
  );
  const cycles = cyclesFor(settings, dut.cycles);
  // Under emulation an attach can take a second (e1000): a cycle gets 5 s.
  extendTimeout(testInfo, watchdog, 60_000 + cycles * 5_000);
  const attachMs: number[] = [];
  const detachMs: number[] = [];
  const samples: Record<string, number>[] = [];
  for (let i = 0; i < cycles; i++) {
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
    // RSS moves with V8's collector; the suite's leak rule reads native resources only.
    const { rssBytes: _rss, ...r } = eal.resources();
    samples.push(r);
  }
  const summary = (xs: number[]) => ({
    p50: percentile(xs, 50),
    p99: percentile(xs, 99),
    max: Math.max(...xs),
  });
  const latency = { cycles: cycles, attachMs: summary(attachMs), detachMs: summary(detachMs) };
  await testInfo.attach('latency', { body: JSON.stringify(latency), contentType: 'application/json' });
  const leaks = analyzeLeaks(samples);
  if (leaks.length)
    await testInfo.attach('leaks', { body: JSON.stringify(leaks), contentType: 'application/json' });
  note(
    testInfo,
    'cycles',
    `${cycles} cycles; attach p50 ${latency.attachMs.p50.toFixed(1)} ms, detach p50 ${latency.detachMs.p50.toFixed(1)} ms`,
  );
  note(testInfo, 'sensitivity', sensitivity(cycles));
  const leaking = leaks.filter((l) => l.leaks);
  expect(
    leaking.map((l) => `${l.resource} grows ${Number(l.slope.toFixed(1))} per cycle`),
    'resources that grow per cycle',
  ).toEqual([]);
});

check(checkTitle(112), async ({ eal, pciDut, dut }, testInfo) => {
  // Steps and verdict in lib/checks/oracle-check.ts (check 16's, for a PCI address): attach, info,
  // start, a refused detach, stop, close, detach, re-attach — through the SDK on this worker's EAL,
  // then through dpdk-testpmd in a process of its own (hugepages, the PCI bus, the same IOVA mode).
  const { bdf } = pciDut.boundDevice();
  test.skip(
    eal.ports().some((p) => p.device === bdf),
    'not run: the device is still attached (check 106 failed)',
  );
  test.skip(!hasTestpmd(), 'dpdk-testpmd (or stdbuf) is not installed');
  const plan = { helpers: [], devargs: bdf, device: bdf };
  const { findings, fault } = await compareWithTestpmd(
    eal,
    {
      sdk: plan,
      testpmd: plan,
      instance: { kind: 'pci', ...iovaModeOf(dut) },
      // Under emulation a DPDK process's start takes seconds (9.7 s for the whole check, quiet).
      startTimeoutMs: 60_000,
      settled: async () => true,
    },
    testInfo,
  );
  addFinding(testInfo, { ...(fault ? { fault } : {}), evidence: findings });
  expect(findings, `testpmd and the SDK differ: ${findings.join('; ')}`).toEqual([]);
});

check(checkTitle(108), async ({ eal, pciLab, pciDut, dut }, testInfo) => {
  // Steps: give the device back to its kernel driver. Verify: that driver, with an interface.
  const { bdf } = pciDut.boundDevice();
  test.skip(
    eal.ports().some((p) => p.device === bdf),
    'not run: the device is still attached (check 106 failed)',
  );
  const { kernelDriver } = pciOf(dut);
  await pciLab.restore(bdf);
  pciDut.save({ bound: false });
  const k = await kernelSide(bdf);
  expect(k.driver, `${bdf}'s driver after the restore`).toBe(kernelDriver);
  note(testInfo, 'restored', `back on ${k.driver}${k.interfaces ? ` with ${k.interfaces}` : ''}`);
});

check(checkTitle(109), async ({ pciLab, pciDut }, testInfo) => {
  // Steps: the lab unplugs the NIC. Verify: gone from the machine and from the lab.
  const device = pciDut.device();
  const t0 = performance.now();
  await pciLab.unplug(device);
  pciDut.save({ unplugged: true });
  // The lab says it is gone; the machine's own view must agree.
  expect(
    await host.io.exists(`${host.sysfs}/bus/pci/devices/${device.bdf}`),
    `${device.bdf} in sysfs after the unplug`,
  ).toBe(false);
  note(testInfo, 'unplugged', `gone from the machine and the lab in ${ms(t0)} ms`);
});

forEachPciDut(readPlanFile().duts, () => {
  for (const [title, body] of checks) test(title, body);
});
