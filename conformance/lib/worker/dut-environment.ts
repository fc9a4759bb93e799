import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bondingMemberKey, type Eal, type PortId } from '@dpdk-hotplug/ethdev';
import { ethernetFrame, ipv4Packet, pcapFile } from '@dpdk-hotplug/ethdev/testing';
import {
  addNetns,
  addVethPair,
  createHost,
  deleteLink,
  deleteNetns,
  linkExists,
  rxPackets,
  setLinkUp,
} from '@dpdk-hotplug/linux';
import { type LedgerEntry, record } from '../common/ledger.js';
import type { Dut } from '../model/dut.js';
import { HELPER_PORTS } from '../model/helper-ports.js';

/** What a traffic check saw: `ok` when the packets went where the DUT's traffic mode says. */
export interface TrafficResult {
  ok: boolean;
  sent: number;
  received: number;
  detail: string;
}

/** A DUT's environment in one worker: its devargs resolved, its traffic probe, its clean-up. */
export interface Lab {
  readonly devargs: string;
  /** The pool each port of the DUT is configured with (the DUT's `mbufs`); undefined: the SDK's. */
  readonly mbufs?: number;
  /** Undefined when the DUT's traffic cannot be observed (mode `none`). */
  readonly traffic?: (eal: Eal, port: PortId) => Promise<TrafficResult>;
  /** Files in the lab's private directory (sockets, captures): a leak shows as growth. */
  files(): number;
  /** Undoes every change, in reverse order; safe to call twice. */
  teardown(): Promise<void>;
  /**
   * Resolves once what an earlier detach of the DUT removed is gone from the kernel too (a tap
   * interface is unregistered after its fd closes, a moment later), so that another process can
   * make it again; false after 3 s.
   */
  settled(): Promise<boolean>;
}

const marker = (tag: string) => `dphp-${tag}-${Math.random().toString(36).slice(2, 8)}`;

async function until(ms: number, done: () => boolean | Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

/** Sends a burst and waits for a counter to show it arrived. */
function counted(frames: (tag: string) => Buffer[], counter: () => Promise<number>, where: string) {
  return async (eal: Eal, port: PortId): Promise<TrafficResult> => {
    const burst = frames(marker('k'));
    const before = await counter();
    const sent = eal.txBurst(port, burst);
    await until(2000, async () => (await counter()) - before >= burst.length);
    const received = (await counter()) - before;
    return {
      ok: sent === burst.length && received >= burst.length,
      sent,
      received,
      detail: `counted at ${where}`,
    };
  };
}

/** Builds the environment a DUT needs; every step registers its undo first. */
export async function buildLab(eal: Eal, dut: Dut): Promise<Lab> {
  const host = createHost();
  const undo: Array<() => unknown> = [];
  // A short name (/tmp/dphpXXXXXX, 15 characters): DPDK 24.11.7+ and 26.07 refuse devargs of 128
  // characters or more (-E2BIG), which net_pcap-files' check 11 reached with a longer one; and
  // net_pcap keeps 63 characters of its arguments for secondaries (check 14), exactly what its two
  // paths take here. A longer one (TMPDIR) makes the SDK refuse check 14's attach, naming the cut.
  const dir = mkdtempSync(join(tmpdir(), 'dphp'));
  // Each thing made is in the run's ledger until it is undone (a crashed worker cannot undo it).
  const made = (entry: LedgerEntry, fn: () => unknown) => {
    const forget = record(entry);
    undo.push(async () => {
      await fn();
      forget();
    });
  };
  made({ kind: 'dir', path: dir }, () => rmSync(dir, { recursive: true, force: true }));
  const tag = `${process.pid % 100000}`;
  let iface = '';
  let peer = '';
  let traffic: Lab['traffic'];
  const frames = (t: string) => [1, 2, 3, 4].map((i) => ethernetFrame(`${t}-${i}`));

  try {
    switch (dut.setup) {
      case 'pcap-files':
        pcapFile(join(dir, 'rx.pcap'), frames('file'));
        break;
      case 'veth-netns': {
        const ns = `dphp-${tag}`;
        iface = `dhv${tag}`;
        const inner = `dhp${tag}`;
        made({ kind: 'netns', name: ns }, () => deleteNetns(host, ns));
        await addNetns(host, ns);
        made({ kind: 'link', name: iface }, () => deleteLink(host, iface));
        await addVethPair(host, iface, inner, { peerNetns: ns });
        await setLinkUp(host, iface);
        await setLinkUp(host, inner, { netns: ns });
        const rx = () => rxPackets(host, inner, { netns: ns });
        traffic = counted(frames, rx, `${inner} in netns ${ns}`);
        break;
      }
      case 'tap': {
        iface = `dht${tag}`;
        // The PMD makes and deletes the interface; this undoes it only if a failure came first.
        made({ kind: 'link', name: iface }, () => deleteLink(host, iface));
        const counter = () => rxPackets(host, iface);
        // net_tun is layer 3: it carries IP packets, not Ethernet frames.
        const make =
          dut.pmd === 'net_tun' ? (t: string) => [1, 2, 3, 4].map((i) => ipv4Packet(`${t}-${i}`)) : frames;
        const count = counted(make, counter, `kernel interface ${iface}`);
        traffic = async (e, port) => {
          await setLinkUp(host, iface);
          return count(e, port);
        };
        break;
      }
      case 'vhost-backend': {
        peer = join(dir, 'vhost.sock');
        const backend = eal.attachSync(HELPER_PORTS['vhost-backend'](peer)[0]!);
        undo.push(() => eal.running && eal.detachSync(backend, { force: true }));
        eal.configure(backend);
        eal.start(backend);
        traffic = async (e, port) => {
          const burst = frames(marker('v'));
          const got: Buffer[] = [];
          // The virtio_user device negotiates with the backend after start: retry the send.
          let sent = 0;
          await until(3000, () => {
            if (sent === 0) sent = e.txBurst(port, burst);
            got.push(...e.rxBurst(backend));
            return got.length >= burst.length;
          });
          const ok = sent === burst.length && burst.every((f) => got.some((g) => g.equals(f)));
          return { ok, sent, received: got.length, detail: 'received by the net_vhost backend port' };
        };
        break;
      }
      case 'null-members': {
        const members = HELPER_PORTS['null-members']().map((m) => eal.attachSync(m));
        undo.push(() => {
          for (const m of members) if (eal.running) eal.detachSync(m, { force: true });
        });
        const key = bondingMemberKey(eal.version);
        peer = HELPER_PORTS['null-members']()
          .map((m) => `${key}=${m}`)
          .join(',');
        break;
      }
      case 'none':
        break;
    }
  } catch (e) {
    await runAll(undo);
    throw e;
  }

  if (!traffic && dut.traffic === 'kernel-peer' && dut.peerInterface) {
    // A host interface the caller named (--traffic peer=IFACE): what the DUT sends, it counts.
    const peerIf = dut.peerInterface;
    traffic = counted(frames, () => rxPackets(host, peerIf), `peer interface ${peerIf}`);
  }
  if (!traffic) traffic = genericTraffic(dut, frames);
  const devargs = dut.devargs
    .replaceAll('{dir}', dir)
    .replaceAll('{iface}', iface)
    .replaceAll('{peer}', peer);
  return {
    devargs,
    ...(dut.mbufs !== undefined ? { mbufs: dut.mbufs } : {}),
    traffic: dut.traffic === 'none' ? undefined : traffic,
    files: () => readdirSync(dir).length,
    teardown: () => runAll(undo),
    settled: () =>
      dut.setup === 'tap' ? until(3000, async () => !(await linkExists(host, iface))) : Promise.resolve(true),
  };
}

/** Traffic modes that need no environment: loopback, source-sink, rx-file, tx-only. */
function genericTraffic(dut: Dut, frames: (tag: string) => Buffer[]): Lab['traffic'] {
  return async (eal, port) => {
    const burst = frames(marker('g'));
    let sent = 0;
    // Some PMDs (bonding) take packets only once they have polled their links up.
    await until(2000, () => {
      sent = eal.txBurst(port, burst);
      return sent > 0;
    });
    const got: Buffer[] = [];
    if (dut.traffic !== 'tx-only') {
      await until(2000, () => {
        got.push(...eal.rxBurst(port));
        return got.length >= burst.length;
      });
    }
    switch (dut.traffic) {
      case 'loopback': {
        const ok =
          sent === burst.length && got.length === burst.length && got.every((g, i) => g.equals(burst[i]!));
        const stale =
          got.length > burst.length
            ? ', more than were sent: packets queued before (an earlier attach?) came back'
            : '';
        return { ok, sent, received: got.length, detail: `looped back${stale}` };
      }
      case 'rx-file':
        return {
          ok: sent === burst.length && got.length >= 4,
          sent,
          received: got.length,
          detail: 'rx from the pcap file the suite wrote',
        };
      case 'source-sink':
        return {
          ok: sent === burst.length && got.length > 0,
          sent,
          received: got.length,
          detail: 'the PMD takes and makes packets',
        };
      default:
        return {
          ok: sent > 0,
          sent,
          received: 0,
          detail: 'the PMD took the packets; their arrival cannot be observed here',
        };
    }
  };
}

async function runAll(undo: Array<() => unknown>): Promise<void> {
  for (const step of undo.splice(0).reverse()) {
    try {
      await step();
    } catch (e) {
      console.error(`lab clean-up step failed: ${(e as Error).message}`);
    }
  }
}
