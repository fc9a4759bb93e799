import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bondingMemberKey, type Eal, type PortId } from '@dpdk-hotplug/ethdev';
import { ethernetFrame, ipv4Packet, pcapFile } from '@dpdk-hotplug/ethdev/testing';
import type { Dut } from './dut.js';
import { type LedgerEntry, record } from './ledger.js';

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
  teardown(): void;
  /**
   * Resolves once what an earlier detach of the DUT removed is gone from the kernel too (a tap
   * interface is unregistered after its fd closes, a moment later), so that another process can
   * make it again; false after 3 s.
   */
  settled(): Promise<boolean>;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

const marker = (tag: string) => `dphp-${tag}-${Math.random().toString(36).slice(2, 8)}`;

async function until(ms: number, done: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

/** Sends a burst and waits for a counter to show it arrived. */
function counted(frames: (tag: string) => Buffer[], counter: () => number, where: string) {
  return async (eal: Eal, port: PortId): Promise<TrafficResult> => {
    const burst = frames(marker('k'));
    const before = counter();
    const sent = eal.txBurst(port, burst);
    await until(2000, () => counter() - before >= burst.length);
    const received = counter() - before;
    return {
      ok: sent === burst.length && received >= burst.length,
      sent,
      received,
      detail: `counted at ${where}`,
    };
  };
}

/** The helper ports a set-up attaches before the DUT, in this order (check 16 makes them in testpmd too). */
export const HELPER_PORTS = {
  'vhost-backend': (socket: string) => [`net_vhost99,iface=${socket},queues=1`],
  'null-members': () => ['net_null90', 'net_null91'],
} as const;

/**
 * A DUT's devargs and the helper ports it needs, for a process of its own (checks 13 and 14, a
 * reproducer): `{peer}` filled as the set-up fills it, a vhost backend's socket in `dir` (not the
 * worker's, whose backend listens there). No helpers for other set-ups.
 */
export function ownHelperPorts(
  dut: Dut,
  dpdkVersion: string,
  dir: string,
): { devargs: string; helpers: string[] } {
  if (dut.setup === 'vhost-backend') {
    const socket = `${dir}/vhost.sock`;
    return {
      devargs: dut.devargs.replaceAll('{peer}', socket),
      helpers: [...HELPER_PORTS['vhost-backend'](socket)],
    };
  }
  if (dut.setup === 'null-members') {
    const members = [...HELPER_PORTS['null-members']()];
    const key = bondingMemberKey(dpdkVersion);
    return {
      devargs: dut.devargs.replaceAll('{peer}', members.map((m) => `${key}=${m}`).join(',')),
      helpers: members,
    };
  }
  return { devargs: dut.devargs, helpers: [] };
}

/** Builds the environment a DUT needs; every step registers its undo first. */
export function buildLab(eal: Eal, dut: Dut): Lab {
  const undo: Array<() => void> = [];
  // A short name: DPDK 24.11.7+ and 26.07 refuse devargs of 128 characters or more (-E2BIG,
  // "devargs truncated"), and net_pcap-files' two paths plus check 11's unknown argument reached
  // 129 with `dphp-net_pcap-files-XXXXXX`, so check 11 saw EAL's refusal instead of the PMD's -1.
  const dir = mkdtempSync(join(tmpdir(), 'dphp-'));
  // Each thing made is in the run's ledger until it is undone (a crashed worker cannot undo it).
  const made = (entry: LedgerEntry, fn: () => unknown) => {
    const forget = record(entry);
    undo.push(() => {
      fn();
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
        made({ kind: 'netns', name: ns }, () => existsSync(`/run/netns/${ns}`) && ip('netns', 'del', ns));
        ip('netns', 'add', ns);
        made(
          { kind: 'link', name: iface },
          () => existsSync(`/sys/class/net/${iface}`) && ip('link', 'del', iface),
        );
        ip('link', 'add', iface, 'type', 'veth', 'peer', 'name', inner, 'netns', ns);
        ip('link', 'set', iface, 'up');
        ip('-n', ns, 'link', 'set', inner, 'up');
        const rx = () =>
          JSON.parse(ip('-n', ns, '-j', '-s', 'link', 'show', 'dev', inner))[0].stats64.rx.packets as number;
        traffic = counted(frames, rx, `${inner} in netns ${ns}`);
        break;
      }
      case 'tap': {
        iface = `dht${tag}`;
        // The PMD makes and deletes the interface; this undoes it only if a failure came first.
        made(
          { kind: 'link', name: iface },
          () => existsSync(`/sys/class/net/${iface}`) && ip('link', 'del', iface),
        );
        const counter = () => Number(readFileSync(`/sys/class/net/${iface}/statistics/rx_packets`, 'utf8'));
        // net_tun is layer 3: it carries IP packets, not Ethernet frames.
        const make =
          dut.pmd === 'net_tun' ? (t: string) => [1, 2, 3, 4].map((i) => ipv4Packet(`${t}-${i}`)) : frames;
        const count = counted(make, counter, `kernel interface ${iface}`);
        traffic = async (e, port) => {
          ip('link', 'set', iface, 'up');
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
    runAll(undo);
    throw e;
  }

  if (!traffic && dut.traffic === 'kernel-peer' && dut.peerInterface) {
    // A host interface the caller named (--traffic peer=IFACE): what the DUT sends, it counts.
    const peerIf = dut.peerInterface;
    const rx = () => Number(readFileSync(`/sys/class/net/${peerIf}/statistics/rx_packets`, 'utf8'));
    traffic = counted(frames, rx, `peer interface ${peerIf}`);
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
      dut.setup === 'tap' ? until(3000, () => !existsSync(`/sys/class/net/${iface}`)) : Promise.resolve(true),
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

function runAll(undo: Array<() => void>): void {
  for (const step of undo.splice(0).reverse()) {
    try {
      step();
    } catch (e) {
      console.error(`lab clean-up step failed: ${(e as Error).message}`);
    }
  }
}
