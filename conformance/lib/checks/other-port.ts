/**
 * The other port check 110 holds while the lab pulls the DUT's device. A deployment's DPDK
 * process drives more than one port (a VF beside a virtual switch's vhost-user ports), and a
 * device pulled from under one must leave the others as they were. A `net_ring` port stands in
 * for them: no device on a bus the kernel could remove, and it loops back what it sends, so its
 * traffic is judged inside the process alone.
 *
 * Held before the pull (attached, started, a burst looped back), kept busy from the pull until
 * the DUT's device is gone (a burst every {@link BUSY_EVERY_MS}: DPDK handles the removal on its
 * interrupt thread, and the SDK detaches on a worker thread, while the application polls), and
 * judged after: still listed with the same id, name and driver, started; no removal event named
 * it; a burst out comes back in and its counters move by it; it stops, closes and detaches, the
 * detach returning its name.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Eal, PortId, PortStats, RemoveEvent } from '@dpdk-hotplug/ethdev';

/** The other port's device: a ring looped back (net_ring without arguments). */
export const OTHER_PORT_DEVARGS = 'net_ring_other';
/** Frames in each of its bursts. */
export const OTHER_PORT_BURST = 8;
/** How often it sends a burst while the removal is handled and the device goes. */
export const BUSY_EVERY_MS = 100;

/** The other port as it was held before the pull. */
export interface OtherPort {
  id: PortId;
  /** Its ethdev name. */
  name: string;
  /** Its device: what its detach returns. */
  device: string;
  driver: string;
  /** Its counters after the burst that proved it before the pull. */
  stats: PortStats;
}

/** One burst out and what came back in. */
export interface Burst {
  sent: number;
  back: number;
  /** Every frame sent came back, unchanged, and nothing else. */
  looped: boolean;
}

/** What became of the other port after the pull. */
export interface OtherPortOutcome {
  /** What is wrong with it, one line each; empty: healthy. */
  findings: string[];
  /** What was seen, for the check's notes: counters, the burst, the release. */
  detail: string;
}

/**
 * A broadcast frame of a local experimental ethertype, tagged, from a locally administered MAC
 * ending in `source` (the PCI checks' frames and the other port's share the builder).
 */
export function taggedFrame(tag: number, source: number): Buffer {
  const f = Buffer.alloc(64);
  f.fill(0xff, 0, 6);
  Buffer.from([0x02, 0, 0, 0, 0, source]).copy(f, 6);
  f.writeUInt16BE(0x88b5, 12);
  f.writeUInt32BE(tag, 14);
  return f;
}

let nextTag = 0x0e000000;

/** Sends a burst on `port` and takes back what returns within `waitMs`. */
export async function burst(eal: Eal, port: PortId, waitMs = 500): Promise<Burst> {
  const out = Array.from({ length: OTHER_PORT_BURST }, () => taggedFrame(nextTag++, 0x0e));
  const sent = eal.txBurst(port, out);
  const back: Buffer[] = [];
  const deadline = Date.now() + waitMs;
  for (;;) {
    back.push(...eal.rxBurst(port));
    if (back.length >= sent || Date.now() >= deadline) break;
    await sleep(5);
  }
  const looped = sent === out.length && back.length === sent && back.every((b, i) => b.equals(out[i]!));
  return { sent, back: back.length, looped };
}

/** Attaches, starts and proves the other port (a burst looped back); throws when it cannot. */
export async function holdOtherPort(eal: Eal): Promise<OtherPort> {
  const id = await eal.attach(OTHER_PORT_DEVARGS);
  // Small rings: it carries a burst at a time, and the worker's EAL has 64 MB.
  eal.configure(id, { rxDescriptors: 64, txDescriptors: 64 });
  eal.start(id);
  const b = await burst(eal, id);
  if (!b.looped)
    throw new Error(
      `the other port ${OTHER_PORT_DEVARGS} did not loop a burst back before the removal (${b.sent} sent, ${b.back} back)`,
    );
  const { name, device, driver } = eal.port(id);
  return { id, name, device, driver, stats: eal.stats(id) };
}

/** Bursts on the other port until `done` settles; says how many and which failed. */
export async function keepBusy(
  eal: Eal,
  other: OtherPort,
  done: Promise<unknown>,
): Promise<{ bursts: number; failed: string[] }> {
  let settled = false;
  const settle = () => {
    settled = true;
  };
  done.then(settle, settle);
  let bursts = 0;
  const failed: string[] = [];
  while (!settled) {
    bursts++;
    try {
      const b = await burst(eal, other.id, BUSY_EVERY_MS);
      if (!b.looped) failed.push(`burst ${bursts}: ${b.sent} sent, ${b.back} back`);
    } catch (e) {
      failed.push(`burst ${bursts}: ${(e as Error).message}`);
      break;
    }
    await Promise.race([done.catch(() => {}), sleep(BUSY_EVERY_MS)]);
  }
  return { bursts, failed };
}

/** Whether a removal event names the other port (by its id or its device). */
export function namesOtherPort(
  event: RemoveEvent,
  other: Pick<OtherPort, 'id' | 'device' | 'name'>,
): boolean {
  return event.port === other.id || event.device === other.device || event.device === other.name;
}

/**
 * After the pull: the other port judged (listed as before, no removal event of its own, a burst
 * looped back, counters moved by it) and then released (stop, close, detach). `events`: every
 * removal event the process saw since the pull.
 */
export async function judgeOtherPort(
  eal: Eal,
  other: OtherPort,
  events: readonly RemoveEvent[],
): Promise<OtherPortOutcome> {
  const findings: string[] = [];
  const said: string[] = [];
  const own = events.filter((e) => namesOtherPort(e, other));
  if (own.length)
    findings.push(
      `removal events named the other port ${other.name} (port ${other.id}): ${own.map((e) => JSON.stringify(e)).join(', ')}`,
    );
  const now = eal.ports().find((p) => p.id === other.id);
  if (!now) {
    findings.push(`the other port ${other.id} (${other.name}) is no longer listed`);
    return { findings, detail: `other port ${other.id} (${other.name}) gone` };
  }
  if (now.name !== other.name || now.device !== other.device || now.driver !== other.driver)
    findings.push(
      `port ${other.id} is now ${now.name} of ${now.device} (${now.driver}), was ${other.name} of ${other.device} (${other.driver})`,
    );
  if (now.state !== 'started') findings.push(`the other port ${other.name} is ${now.state}, was started`);
  else {
    const before = eal.stats(other.id);
    const b = await burst(eal, other.id);
    const after = eal.stats(other.id);
    if (!b.looped) findings.push(`the other port ${other.name} looped ${b.back} of ${b.sent} frames back`);
    const tx = after.txPackets - before.txPackets;
    const rx = after.rxPackets - before.rxPackets;
    if (tx !== b.sent || rx !== b.back)
      findings.push(
        `the other port's counters moved by tx ${tx}, rx ${rx} for a burst of ${b.sent} sent, ${b.back} back`,
      );
    said.push(
      `other port ${other.id} (${other.name}): tx ${other.stats.txPackets} → ${after.txPackets}, rx ${other.stats.rxPackets} → ${after.rxPackets} packets since it was held; a burst of ${b.sent} after the removal, ${b.back} back`,
    );
  }
  const steps: Array<[string, () => unknown]> = [
    ['stop', () => eal.port(other.id).state === 'started' && eal.stop(other.id)],
    ['close', () => eal.close(other.id)],
    [
      'detach',
      async () => {
        const name = await eal.detach(other.id);
        if (name !== other.device)
          findings.push(`the other port's detach returned ${name}, not ${other.device}`);
      },
    ],
  ];
  for (const [step, run] of steps) {
    try {
      await run();
    } catch (e) {
      findings.push(`the other port's ${step} failed: ${(e as Error).message}`);
      break;
    }
  }
  if (!findings.some((f) => / failed: /.test(f))) said.push('stopped, closed and detached');
  return { findings, detail: said.join('; ') };
}
