/**
 * PMD arguments read as DPDK 22.11 reads them (rte_kvargs, failsafe's sub-device syntax), to
 * refuse what would crash, hang or misuse the process before any PMD sees it (see hazards.ts).
 */
import { type RingAsk, ringAsk } from './devargs-budget.js';
import { maxQueuesPerPort } from './dpdk-config.js';

/**
 * A path a PMD would use: `read` a regular file (rx_pcap, softnic's firmware), `write` one
 * (tx_pcap, truncated at attach), `listen` on a UNIX socket it first unlinks (vhost's iface),
 * `vhost-user` connect to a vhost-user socket and wait for its answers (virtio_user's path).
 */
export interface DevargsFile {
  /** The PMD argument that names it (`rx_pcap`, `iface`, `socket`). */
  readonly key: string;
  /** The path as given. */
  readonly path: string;
  /** What the PMD does with it: reads, writes, listens on, or speaks vhost-user to it. */
  readonly access: 'read' | 'write' | 'listen' | 'vhost-user';
}

/** A device a devargs probes (the device itself, failsafe's sub-devices) and the keys it gives. */
export interface ProbedDevice {
  /** The device's name (`net_null90`). */
  readonly name: string;
  /** The argument keys its devargs give, in order. */
  readonly keys: readonly string[];
  /** Its arguments, after the first comma of its devargs ('' when none). */
  readonly args: string;
}

export interface PmdArgsFindings {
  /** Commands failsafe's `exec(...)` sub-devices would run with popen. */
  readonly shellCommands: string[];
  readonly files: DevargsFile[];
  /** Failsafe's `dev(...)` sub-devices: probed with it, removed with it. */
  readonly subDevices: ProbedDevice[];
  /** A memif client's socket (memif's default when it ignores its arguments), for kept listeners. */
  memifClientSocket?: { path: string; key: string };
  /** A memif server's socket. */
  memifServerSocket?: string;
  /** What each device's rings ask for (devargs-budget.ts), checked against the Eal's budget. */
  readonly ringAsks: RingAsk[];
}

/** Throws the caller's INVALID_DEVARGS error. */
export type Refuse = (why: string, key: string) => never;
/** Parses a failsafe sub-device's own devargs (`net_null0,size=64`): its driver and arguments. */
export type SubDevice = (devargs: string) => { driver: string | undefined; name: string; args: string };

// The vdev bus takes the first driver whose name or alias is a prefix of the device name.
const DRIVERS: ReadonlyArray<readonly [string, string]> = [
  ['net_failsafe', 'net_failsafe'],
  ['net_null', 'net_null'],
  ['eth_null', 'net_null'],
  ['net_pcap', 'net_pcap'],
  ['eth_pcap', 'net_pcap'],
  ['net_ring', 'net_ring'],
  ['eth_ring', 'net_ring'],
  ['net_memif', 'net_memif'],
  ['net_virtio_user', 'net_virtio_user'],
  ['virtio_user', 'net_virtio_user'],
  ['net_tap', 'net_tap'],
  ['eth_tap', 'net_tap'],
  ['net_af_packet', 'net_af_packet'],
  ['eth_af_packet', 'net_af_packet'],
  ['net_vhost', 'net_vhost'],
  ['eth_vhost', 'net_vhost'],
  ['net_bonding', 'net_bonding'],
  ['eth_bond', 'net_bonding'],
  ['net_vdev_netvsc', 'net_vdev_netvsc'],
  ['eth_vdev_netvsc', 'net_vdev_netvsc'],
  ['net_af_xdp', 'net_af_xdp'],
  ['net_softnic', 'net_softnic'],
  ['eth_softnic', 'net_softnic'],
  ['net_mvneta', 'net_mvneta'],
  ['net_mvpp2', 'net_mvpp2'],
  ['eth_mvpp2', 'net_mvpp2'],
];

/**
 * Keys a PMD reads once per occurrence (each gives one more member, queue or port). Every other
 * key given twice is refused: most PMDs read one occurrence and ignore the other. Checked against
 * the parsers of DPDK 22.11, 24.11 and 25.11 (drivers/net): bonding's `slave` (`member` since
 * 23.11, `slave` refused there) per member; pcap's rx_pcap, tx_pcap, rx_iface, rx_iface_in and
 * tx_iface per queue (rx_pcap overrides the rx_iface keys, tx_pcap tx_iface; `iface` works only
 * given once); mvneta's and mvpp2's iface per port; af_xdp's `mode` (25.11) adds a flag per
 * occurrence. Not here, on purpose: net_ring's `nodeaction` is per occurrence by design, but two
 * make ports of one name and the second kills the process (SIGSEGV, the `ring-key-twice` hazard);
 * vdev_netvsc counts `iface` and `mac` together and probes nothing for more than one (its
 * documentation says otherwise). Failsafe's dev(...), exec(...) and fd(...) are sub-devices, not
 * keys: DPDK takes two at most (FAILSAFE_MAX_ETHPORTS, -ENOSPC beyond).
 */
export const REPEATABLE_KEYS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  net_bonding: ['slave', 'member'],
  net_pcap: ['rx_pcap', 'tx_pcap', 'rx_iface', 'rx_iface_in', 'tx_iface'],
  net_mvneta: ['iface'],
  net_mvpp2: ['iface'],
  net_af_xdp: ['mode'],
});

/**
 * Keys that are a queue count, bounded by RTE_MAX_QUEUES_PER_PORT: net_af_packet opens a socket
 * and maps rings per queue pair before it checks anything (qpairs=32768 blocks its probe ~15 s).
 */
const QUEUE_COUNT_KEYS: Readonly<Record<string, string>> = {
  net_af_packet: 'qpairs',
  net_vhost: 'queues',
  net_virtio_user: 'queues',
};

/** The driver DPDK's vdev bus would give a vdev name, among those with argument hazards. */
export function driverOf(vdevName: string): string | undefined {
  return DRIVERS.find(([prefix]) => vdevName.startsWith(prefix))?.[1];
}

/**
 * Key/value pairs as rte_kvargs splits them: on commas outside `[...]`; the key is the text
 * before the last `=`; a pair without `=` has no value (DPDK passes NULL). Empty pairs are skipped.
 */
export function kvargsPairs(args: string): Array<[string, string | undefined]> {
  const pairs: Array<[string, string | undefined]> = [];
  let inList = false;
  let start = 0;
  for (let i = 0; i <= args.length; i++) {
    const c = args[i];
    if (c === '[') inList = true;
    else if (c === ']') inList = false;
    else if (i === args.length || (c === ',' && !inList)) {
      const token = args.slice(start, i);
      start = i + 1;
      if (token === '') continue;
      const parts = token.split('=');
      pairs.push(parts.length === 1 ? [token, undefined] : [parts.at(-2)!, parts.at(-1)!]);
    }
  }
  return pairs;
}

// RTE_MBUF_DEFAULT_DATAROOM: the data an mbuf of the SDK's pools (and DPDK's default) holds.
const MBUF_DATA = 2048;

/** Checks a device's PMD arguments; records the files and commands it asks for. */
export function checkPmdArgs(
  driver: string | undefined,
  device: string,
  args: string,
  found: PmdArgsFindings,
  refuse: Refuse,
  sub: SubDevice,
): void {
  const kv = driver === 'net_failsafe' ? failsafeArgs(args, found, refuse, sub) : args;
  const seen = new Set<string>();
  for (const [key, value] of kvargsPairs(kv)) {
    if (value === undefined) {
      refuse(
        `${JSON.stringify(key)} has no value: DPDK 22.11 passes the PMD a NULL value, which PMDs dereference (net_ring, net_memif and net_pcap crash); write ${key}=<value>`,
        key,
      );
    }
    if (seen.has(key) && !(driver && REPEATABLE_KEYS[driver]?.includes(key))) {
      refuse(`${JSON.stringify(key)} is given twice; ${driver ?? 'this PMD'} takes it once`, key);
    }
    seen.add(key);
    checkPair(driver, key, value, found, refuse);
  }
  const pairs = new Map(kvargsPairs(kv) as Array<[string, string]>);
  const ask = ringAsk(driver, device, pairs, refuse);
  if (ask) found.ringAsks.push(ask);
  if (driver === 'net_memif') memifSockets(pairs, found);
  if (driver === 'net_vhost' && pairs.has('iface') && pairs.get('client') !== '1')
    found.files.push({ key: 'iface', path: pairs.get('iface')!, access: 'listen' });
  if (driver === 'net_virtio_user' && pairs.has('path'))
    found.files.push({ key: 'path', path: pairs.get('path')!, access: 'vhost-user' });
}

const MEMIF_KEYS = [
  'id',
  'role',
  'bsize',
  'rsize',
  'socket',
  'socket-abstract',
  'owner-uid',
  'owner-gid',
  'mac',
  'zero-copy',
  'secret',
];
// net_memif's MEMIF_DEFAULT_SOCKET_FILENAME in 22.11.
const MEMIF_DEFAULT_SOCKET = '/run/memif.sock';

/**
 * Where a memif device listens or connects. memif ignores every argument when one is unknown to
 * it (rte_kvargs_parse fails and it goes on with its defaults): then it is a client on its
 * default socket, whatever the devargs said.
 */
function memifSockets(pairs: ReadonlyMap<string, string>, found: PmdArgsFindings): void {
  const unknown = [...pairs.keys()].find((k) => !MEMIF_KEYS.includes(k));
  if (unknown) {
    found.memifClientSocket = { path: `${MEMIF_DEFAULT_SOCKET} (abstract)`, key: unknown };
    return;
  }
  // A socket is the path and its namespace (abstract unless socket-abstract=no).
  const path = `${pairs.get('socket') ?? MEMIF_DEFAULT_SOCKET}${pairs.get('socket-abstract') === 'no' ? '' : ' (abstract)'}`;
  if (pairs.get('role') === 'server') found.memifServerSocket = path;
  else found.memifClientSocket = { path, key: pairs.has('socket') ? 'socket' : 'role' };
}

function checkPair(
  driver: string | undefined,
  key: string,
  value: string,
  found: PmdArgsFindings,
  refuse: Refuse,
): void {
  if (driver === 'net_ring' && key === 'internal') {
    refuse('"internal" is read as a C pointer and dereferenced (rte_eth_from_rings only)', key);
  } else if (driver === 'net_null' && key === 'size') {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(value) || Number(value) > MBUF_DATA)
      refuse(
        `size=${value}: a packet must fit an mbuf's ${MBUF_DATA} bytes (net_null copies or hands out size bytes)`,
        key,
      );
  } else if (driver === 'net_virtio_user' && key === 'server' && value !== '0') {
    refuse('server mode blocks in accept() until a vhost-user client connects', key);
  } else if (driver && QUEUE_COUNT_KEYS[driver] === key) {
    const max = maxQueuesPerPort();
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max)
      refuse(
        `${key}=${value}: a queue count is a decimal integer from 1 to ${max} (RTE_MAX_QUEUES_PER_PORT)`,
        key,
      );
  } else if (driver === 'net_tap' && key === 'persist' && value !== '1') {
    refuse(
      `persist=${value}: net_tap keeps the interface after detach whatever the value (persist=0 too); write persist=1 to keep it, or leave persist out`,
      key,
    );
  } else if (driver === 'net_softnic' && key === 'firmware') {
    found.files.push({ key, path: value, access: 'read' });
  } else if (driver === 'net_pcap' && (key === 'rx_pcap' || key === 'tx_pcap')) {
    if (value === '-')
      refuse(`${key}=- is libpcap's standard ${key === 'rx_pcap' ? 'input' : 'output'}`, key);
    found.files.push({ key, path: value, access: key === 'rx_pcap' ? 'read' : 'write' });
  }
}

/** One top-level parameter of failsafe's devargs, as failsafe's parser splits them. */
export type FailsafeParam =
  /** A `kind(body)` group: dev(...), exec(...), fd(...), or one failsafe does not know. */
  | { readonly group: string; readonly body: string }
  /** A plain key=value (mac, hotplug_poll). */
  | { readonly kvarg: string }
  /** Where failsafe's parser stops, and why; nothing after it is read. */
  | { readonly broken: string; readonly key: string };

/**
 * Failsafe's top level split as its parser (fs_parse_device and friends) splits it, checking
 * nothing but its syntax: `kind(...)` groups (parentheses nest) and kvargs, in order.
 */
export function failsafeParams(args: string): FailsafeParam[] {
  const params: FailsafeParam[] = [];
  let a = 0;
  while (a < args.length) {
    let b = a;
    while (b < args.length && args[b] !== '(' && args[b] !== ',') b++;
    if (b === a) {
      params.push({ broken: 'failsafe refuses an empty parameter (",,")', key: '' });
      break;
    }
    if (b === args.length || args[b] === ',') {
      params.push({ kvarg: args.slice(a, b) });
      a = b + 1;
      continue;
    }
    const kind = args.slice(a, b);
    const close = closingParen(args, b);
    if (close < 0) {
      params.push({ broken: `${kind}( has no closing parenthesis`, key: `${kind}(...)` });
      break;
    }
    params.push({ group: kind, body: args.slice(b + 1, close) });
    if (close + 1 < args.length && args[close + 1] !== ',') {
      params.push({ broken: `a "," must follow ${kind}(...)`, key: `${kind}(...)` });
      break;
    }
    a = close + 2;
  }
  return params;
}

/**
 * Failsafe's top level: `dev(...)`, `exec(...)` and `fd(...)` groups, the rest is kvargs.
 * Returns the rest; sub-devices are checked as devices of their own.
 */
function failsafeArgs(args: string, found: PmdArgsFindings, refuse: Refuse, sub: SubDevice) {
  const rest: string[] = [];
  for (const p of failsafeParams(args)) {
    if ('broken' in p) refuse(p.broken, p.key);
    if ('kvarg' in p) {
      rest.push(p.kvarg);
      continue;
    }
    if (!('group' in p)) continue;
    const { group: kind, body } = p;
    if (kind === 'dev') {
      const d = sub(body);
      if (d.driver === 'net_failsafe')
        refuse(
          "a failsafe sub-device cannot be a failsafe: DPDK 22.11 leaves the inner one's port behind after detach",
          'dev(...)',
        );
      checkPmdArgs(d.driver, d.name, d.args, found, refuse, sub);
      if (d.driver === 'net_ring' && kvargsPairs(d.args).some(([k]) => k === 'nodeaction'))
        refuse(
          "a failsafe sub-device's nodeaction: net_ring names its port after the node, not the device, so failsafe never takes it and leaves it behind (a port no detach removes)",
          'nodeaction',
        );
      found.subDevices.push({ name: d.name, keys: kvargsPairs(d.args).map(([k]) => k), args: d.args });
    } else if (kind === 'exec') {
      found.shellCommands.push(body.replaceAll(',', ' '));
    } else if (kind === 'fd') {
      refuse("fd(...) reads one of this process's descriptors (Node's own lose data)", 'fd(...)');
    } else {
      refuse(`failsafe knows dev(...), exec(...) and fd(...), not ${kind}(...)`, `${kind}(...)`);
    }
  }
  return rest.join(',');
}

/** Index of the ')' closing the '(' at `open`, or -1 (failsafe's closing_paren). */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}
