/**
 * The fuzzer's corpus: valid devargs of every vdev PMD Debian 12 ships, and valid `Eal.init`
 * options, mutated by a seeded PRNG. Input `i` of seed `S` depends on nothing else (not on the
 * count), so a slice of N inputs is the first N inputs of a longer run with the same seed, and
 * any one input can be made again from its seed and index.
 *
 * Placeholders, filled in by the child in its private tmp folder: `{tmp}` the folder, `{pcap}` a
 * readable pcap file, `{file}` an existing regular file, `{fifo}` a FIFO no one opens, `{silent}`
 * a UNIX socket that accepts and never answers, `{live}` a socket another listener holds,
 * `{dead}` a socket file no one listens on, `{outside}` a folder outside the devargs paths,
 * `{link-out}` a symlink in `{tmp}` to a file there, `{dangling}` a symlink in `{tmp}` to a
 * file there that does not exist.
 */

/** A 32-bit PRNG (mulberry32): small, fast, and the same on every machine. */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG of input `index` of seed `seed` (both mixed, so neighbouring inputs differ). */
export function inputRng(seed: number, index: number): Rng {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index >>> 0), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return mulberry32((h ^ (h >>> 16)) >>> 0);
}

const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, list: readonly T[]): T => list[int(rng, list.length)]!;

// ------------------------------------------------------------------ devargs seeds

/** Valid devargs, by PMD: what a user of each PMD Debian ships would write. */
export const DEVARGS_SEEDS: Readonly<Record<string, readonly string[]>> = {
  net_null: ['net_null0', 'net_null0,size=64', 'net_null0,size=64,copy=1', 'net_null0,no-rx=1', 'eth_null0'],
  net_ring: [
    'net_ring0',
    'net_ring0,nodeaction=r0:0:CREATE',
    'net_ring0,nodeaction=r1:0:ATTACH',
    'eth_ring0',
  ],
  net_pcap: [
    'net_pcap0,rx_pcap={pcap}',
    'net_pcap0,rx_pcap={pcap},tx_pcap={tmp}/out.pcap',
    'net_pcap0,tx_pcap={tmp}/out.pcap',
    'net_pcap0,iface=lo',
    'net_pcap0,rx_iface=lo,tx_iface=lo',
    'net_pcap0,rx_iface_in=lo,tx_iface=lo',
    'net_pcap0,rx_pcap={pcap},infinite_rx=1',
    'net_pcap0,iface=lo,phy_mac=1',
    'eth_pcap0,iface=lo',
  ],
  net_tap: [
    'net_tap0',
    'net_tap0,iface=fztap0',
    'net_tap0,iface=fztap0,mac=fixed',
    'net_tap0,mac=02:00:00:00:00:01',
  ],
  net_tun: ['net_tun0', 'net_tun0,iface=fztun0'],
  net_af_packet: [
    'net_af_packet0,iface=lo',
    'net_af_packet0,iface=lo,qpairs=1,blocksz=4096,framesz=2048,framecnt=512,qdisc_bypass=0',
    'eth_af_packet0,iface=lo',
  ],
  net_memif: [
    'net_memif0,role=server,socket={tmp}/memif.sock,socket-abstract=no',
    'net_memif0,role=client,id=1,socket={tmp}/memif-c.sock,socket-abstract=no',
    'net_memif0,role=server,id=2,bsize=2048,rsize=10,mac=02:00:00:00:00:02,socket={tmp}/m2.sock,socket-abstract=no',
  ],
  net_vhost: [
    'net_vhost0,iface={tmp}/vhost.sock',
    'net_vhost0,iface={tmp}/vhost.sock,queues=1,client=0',
    'eth_vhost0,iface={tmp}/vhost.sock',
  ],
  net_virtio_user: [
    'net_virtio_user0,path={tmp}/vhost.sock',
    'net_virtio_user0,path={tmp}/vhost.sock,queues=1,queue_size=256,server=0',
    'virtio_user0,path={tmp}/vhost.sock',
  ],
  net_bonding: [
    'net_bonding0,mode=1',
    'net_bonding0,mode=0,slave=net_null9',
    'net_bonding0,mode=2,member=net_null9,xmit_policy=l34',
    'eth_bond0,mode=1',
  ],
  net_failsafe: [
    'net_failsafe0,dev(net_null1)',
    'net_failsafe0,dev(net_null1),dev(net_ring1)',
    'net_failsafe0,dev(net_null1,size=64),hotplug_poll=100',
    'net_failsafe0,mac=02:00:00:00:00:03,dev(net_null1)',
    'net_failsafe0,exec(echo net_null1)',
    'net_failsafe0,fd(0)',
  ],
  net_softnic: ['net_softnic0,firmware={tmp}/firmware.cli', 'net_softnic0,firmware={file},conn_port=8086'],
  net_vdev_netvsc: ['net_vdev_netvsc0,iface=lo,force=1', 'net_vdev_netvsc0,ignore=1'],
  pci: ['0000:00:00.0', '00:1f.7', '0000:00:03.0,rxq=1'],
  // Vdev drivers of the other classes Debian 12 ships (no ethdev port): refused, NOT_A_PORT_DEVICE.
  baseband: ['baseband_null0', 'baseband_null0,max_nb_queues=2', 'baseband_turbo_sw0,socket_id=0'],
  compress: ['compress_zlib0', 'compress_isal0,socket_id=0'],
  crypto: [
    'crypto_null0',
    'crypto_aesni_mb0,max_nb_queue_pairs=2',
    'crypto_aesni_gcm0',
    'crypto_openssl0,socket_id=0',
    'crypto_kasumi0',
    'crypto_snow3g0',
    'crypto_zuc0',
    'crypto_chacha20_poly1305_0',
    'crypto_scheduler0,worker=crypto_null1',
  ],
  event: [
    'event_sw0',
    'event_sw0,sched_quanta=64',
    'event_dsw0',
    'event_opdl0,numa_node=0',
    'event_skeleton0',
  ],
  dma: ['dma_skeleton0', 'dma_skeleton0,lcore=0'],
  raw: ['rawdev_skeleton0'],
};

/** Keys each PMD knows (DPDK 22.11), for bare, duplicated and spliced keys. */
const PMD_KEYS: Readonly<Record<string, readonly string[]>> = {
  net_null: ['size', 'copy', 'no-rx'],
  net_ring: ['nodeaction', 'internal'],
  net_pcap: ['rx_pcap', 'tx_pcap', 'rx_iface', 'rx_iface_in', 'tx_iface', 'iface', 'phy_mac', 'infinite_rx'],
  net_tap: ['iface', 'mac', 'remote', 'persist'],
  net_tun: ['iface'],
  net_af_packet: ['iface', 'qpairs', 'blocksz', 'framesz', 'framecnt', 'qdisc_bypass'],
  net_memif: ['id', 'role', 'bsize', 'rsize', 'socket', 'socket-abstract', 'mac', 'zero-copy', 'secret'],
  net_vhost: ['iface', 'queues', 'client', 'dequeue-zero-copy', 'iommu-support', 'postcopy-support', 'tso'],
  net_virtio_user: [
    'path',
    'mac',
    'queues',
    'queue_size',
    'cq',
    'server',
    'mrg_rxbuf',
    'in_order',
    'packed_vq',
  ],
  net_bonding: [
    'mode',
    'slave',
    'member',
    'primary',
    'xmit_policy',
    'socket_id',
    'mac',
    'lsc_poll_period_ms',
  ],
  net_failsafe: ['mac', 'hotplug_poll'],
  net_softnic: ['firmware', 'conn_port', 'cpu_id'],
  net_vdev_netvsc: ['iface', 'mac', 'force', 'ignore'],
  pci: ['rxq', 'txq', 'key'],
  baseband: ['max_nb_queues', 'socket_id'],
  compress: ['socket_id'],
  crypto: ['max_nb_queue_pairs', 'socket_id', 'name', 'worker', 'mode'],
  event: ['numa_node', 'self_test', 'do_validation', 'sched_quanta', 'credit_quanta'],
  dma: ['lcore'],
  raw: ['self_test'],
};

/** Sizes a devargs asks of the kernel and DPDK (rings, queues, buffers), by PMD. */
const SIZE_KEYS: Readonly<Record<string, readonly string[]>> = {
  net_af_packet: ['framecnt', 'framesz', 'blocksz', 'qpairs'],
  net_memif: ['rsize', 'bsize'],
  net_virtio_user: ['queue_size', 'queues'],
  net_vhost: ['queues'],
  net_null: ['size'],
  crypto: ['max_nb_queue_pairs'],
  baseband: ['max_nb_queues'],
};
const SIZES = ['16', '64', '1024', '4096', '65536', '131072', '1048576', '16777216', '4294967295'];

/** The special and existing paths a socket or file key is given (see the placeholders). */
const SOCKET_PATHS = [
  '{silent}',
  '{live}',
  '{dead}',
  '{file}',
  '{fifo}',
  '{link-out}',
  '{dangling}',
  '/dev/zero',
  '{outside}/keep',
  '{outside}/new.sock',
];

const LIMIT_NUMBERS = [
  '0',
  '1',
  '-1',
  '2048',
  '2049',
  '32767',
  '32768',
  '65535',
  '65536',
  '2147483647',
  '2147483648',
  '4294967295',
  '4294967296',
  '9223372036854775807',
  '18446744073709551616',
  '99999999999999999999999999999999',
  '0x800',
  '0x801',
  '0xffffffff',
  '010',
  '+1',
  '1e3',
  '1.5',
  '-0',
  ' 1',
  'NaN',
];

const PATHS = [
  '{tmp}/../escape.pcap',
  '../escape.pcap',
  '{tmp}/../../../../../../tmp/deep.pcap',
  '/dev/stdin',
  '/dev/stdout',
  '/dev/null',
  '/dev/zero',
  '{fifo}',
  '{file}',
  '-',
  '/proc/self/status',
  '/proc/self/fd/0',
  '{tmp}',
  '/',
  '{tmp}/missing/x.pcap',
  '{tmp}/./out2.pcap',
  '//',
  '/etc/fuzz-new.pcap',
  '{outside}/new.pcap',
  '{outside}/keep',
  '{link-out}',
  '{dangling}',
  '{silent}',
  '{dead}',
  '/usr/fuzz-new.pcap',
  '~/x.pcap',
  `{tmp}/${'p'.repeat(255)}.pcap`,
  `{tmp}/${'d/'.repeat(2100)}x`,
];

const PCI_NAMES = [
  '0000:00:00.0',
  '00:00.0',
  'ffff:ff:1f.7',
  '0000:00:20.0',
  '0000:00:00.8',
  '10000:00:00.0',
  '0:0.0',
  '00.0',
  '0000:00:00.0.0',
  ':00:00.0',
  '0000:00:00.f',
  '0000:0g:00.0',
  '0000::00.0',
  '0000:00:00.00000000000000000001',
];

const CONTROL = ['\0', '\x01', '\t', '\n', '\r', '\x1b', '\x7f', '\x08'];
const UNICODE = [
  'é',
  '\u00a0',
  '\u200b',
  '\u202e',
  '\uff0c',
  '\uff1d',
  '\ud83d\ude00',
  '\ud800',
  '\udfff',
  'ı',
  'ß',
  '\u0301',
  '\ufeff',
];
const SEPARATORS = [',', ';', '=', ' ', ',,', '==', ',=', '=,', ':', '|', '&'];
const PARENS = [
  '(',
  ')',
  '((',
  '))',
  '()',
  ')(',
  'dev(',
  'dev()',
  'dev(dev(dev(dev(dev(dev(net_null1))))))',
  'dev(net_null1',
  'dev(net_null1))',
  'exec(',
  'fd(',
  'dev(,)',
  'dev(net_failsafe1,dev(net_null2))',
  'dev(net_ring1,nodeaction)',
  'dev(net_ring1,nodeaction=)',
  'other(net_null1)',
];
const BRACKETS = [
  '[',
  ']',
  '[]',
  '][',
  'list=[a,b',
  'list=[a,b]',
  'list=a[,nodeaction',
  'list=[a,nodeaction]',
  '[,nodeaction]',
  'x=a]b,',
  'list=[[a]]',
  'list=[a,,b]',
];
const WORDS = ['foo', 'key', 'iface', 'size', 'nodeaction', 'socket', 'path', 'queues', 'dev', 'x', 'A'];

// ------------------------------------------------------------------ devargs mutations

interface Parts {
  name: string;
  args: string[];
}
const split = (s: string): Parts => {
  const [name = '', ...args] = s.split(',');
  return { name, args };
};
const join = (p: Parts) => [p.name, ...p.args].join(',');
const insertAt = (rng: Rng, s: string, piece: string) => {
  const at = int(rng, s.length + 1);
  return s.slice(0, at) + piece + s.slice(at);
};
/** Replaces the value of a random `key=value` pair (or adds `key=` + value when there is none). */
const withValue = (rng: Rng, s: string, value: (key: string, old: string) => string, pmd: string) => {
  const p = split(s);
  const pairs = p.args.map((a, i) => [a, i] as const).filter(([a]) => a.includes('='));
  if (pairs.length === 0 || rng() < 0.2) {
    const key = pick(rng, PMD_KEYS[pmd] ?? WORDS);
    p.args.push(`${key}=${value(key, '')}`);
    return join(p);
  }
  const [arg, i] = pick(rng, pairs);
  const key = arg.slice(0, arg.indexOf('='));
  p.args[i] = `${key}=${value(key, arg.slice(arg.indexOf('=') + 1))}`;
  return join(p);
};

export type Mutation = (rng: Rng, s: string, pmd: string) => string;

export const DEVARGS_MUTATIONS: Readonly<Record<string, Mutation>> = {
  'bare-key': (rng, s, pmd) => {
    const p = split(s);
    const withEq = p.args.map((a, i) => [a, i] as const).filter(([a]) => /^[\w-]+=/.test(a));
    if (withEq.length > 0 && rng() < 0.5) {
      const [arg, i] = pick(rng, withEq);
      p.args[i] = arg.slice(0, arg.indexOf('='));
    } else p.args.splice(int(rng, p.args.length + 1), 0, pick(rng, PMD_KEYS[pmd] ?? WORDS));
    return join(p);
  },
  'empty-value': (rng, s, pmd) => withValue(rng, s, () => '', pmd),
  /** Pairs rte_kvargs and the SDK might split differently: `=key`, `key==v`, `k=v=w`, `=`. */
  'pair-shapes': (rng, s, pmd) => {
    const key = pick(rng, PMD_KEYS[pmd] ?? WORDS);
    const shape = pick(rng, [
      `=${key}`,
      `${key}==1`,
      `${key}=1=2`,
      '=',
      `==${key}`,
      `${key}=,`,
      `${key}= `,
      `=${key}=1`,
    ]);
    const p = split(s);
    p.args.splice(int(rng, p.args.length + 1), 0, shape);
    return join(p);
  },
  'duplicate-key': (rng, s, pmd) => {
    const p = split(s);
    const arg =
      p.args.length > 0 && rng() < 0.7 ? pick(rng, p.args) : `${pick(rng, PMD_KEYS[pmd] ?? WORDS)}=1`;
    const copy = rng() < 0.5 ? arg : arg.replace(/=.*$/, `=${pick(rng, LIMIT_NUMBERS)}`);
    p.args.splice(int(rng, p.args.length + 1), 0, copy);
    return join(p);
  },
  'huge-value': (rng, s, pmd) =>
    withValue(
      rng,
      s,
      () => pick(rng, ['A', '9', '/', 'a,']).repeat(pick(rng, [128, 256, 1024, 4095, 5000])),
      pmd,
    ),
  parentheses: (rng, s) => (rng() < 0.5 ? `${s},${pick(rng, PARENS)}` : insertAt(rng, s, pick(rng, PARENS))),
  brackets: (rng, s) => (rng() < 0.5 ? `${s},${pick(rng, BRACKETS)}` : insertAt(rng, s, pick(rng, BRACKETS))),
  separators: (rng, s) => {
    const sep = pick(rng, SEPARATORS);
    if (rng() < 0.3) return s.replaceAll(',', sep === ',' ? ',,' : sep);
    return insertAt(rng, s, sep);
  },
  'control-bytes': (rng, s) => insertAt(rng, s, pick(rng, CONTROL)),
  unicode: (rng, s) => insertAt(rng, s, pick(rng, UNICODE)),
  'file-paths': (rng, s, pmd) => {
    const fileKeys: Record<string, readonly string[]> = {
      net_pcap: ['rx_pcap', 'tx_pcap', 'iface', 'rx_iface'],
      net_vhost: ['iface'],
      net_virtio_user: ['path'],
      net_memif: ['socket'],
      net_softnic: ['firmware'],
    };
    const keys = fileKeys[pmd];
    const p = split(s);
    const path = pick(rng, PATHS);
    const key = keys ? pick(rng, keys) : pick(rng, ['rx_pcap', 'path', 'socket', 'iface']);
    const i = p.args.findIndex((a) => a.startsWith(`${key}=`));
    if (i >= 0) p.args[i] = `${key}=${path}`;
    else p.args.push(`${key}=${path}`);
    return join(p);
  },
  'limit-numbers': (rng, s, pmd) => withValue(rng, s, () => pick(rng, LIMIT_NUMBERS), pmd),
  /** Rings, queues and buffers past what a machine can give (af_packet framecnt × qpairs …). */
  sizes: (rng, s, pmd) => {
    const p = split(s);
    for (let k = 1 + int(rng, 2); k > 0; k--) {
      const key = pick(rng, SIZE_KEYS[pmd] ?? SIZE_KEYS.net_af_packet!);
      const i = p.args.findIndex((a) => a.startsWith(`${key}=`));
      const pair = `${key}=${pick(rng, SIZES)}`;
      if (i >= 0) p.args[i] = pair;
      else p.args.push(pair);
    }
    return join(p);
  },
  /** A socket or file key given a silent, live or dead socket, a special or existing file, a symlink. */
  'socket-paths': (rng, s, pmd) => {
    const keys: Record<string, string> = {
      net_vhost: 'iface',
      net_virtio_user: 'path',
      net_memif: 'socket',
      net_softnic: 'firmware',
      net_pcap: 'rx_pcap',
    };
    const key = keys[pmd] ?? pick(rng, Object.values(keys));
    const p = split(s);
    const i = p.args.findIndex((a) => a.startsWith(`${key}=`));
    const pair = `${key}=${pick(rng, SOCKET_PATHS)}`;
    if (i >= 0) p.args[i] = pair;
    else p.args.push(pair);
    if (pmd === 'net_memif' && !p.args.includes('socket-abstract=no')) p.args.push('socket-abstract=no');
    return join(p);
  },
  /** A device of another class, or inside a failsafe. */
  'device-class': (rng, s) => {
    const other = pick(rng, [
      ...DEVARGS_SEEDS.baseband!,
      ...DEVARGS_SEEDS.compress!,
      ...DEVARGS_SEEDS.crypto!,
      ...DEVARGS_SEEDS.event!,
    ]);
    return rng() < 0.5
      ? `${other},${split(s).args.join(',')}`.replace(/,$/, '')
      : `net_failsafe0,dev(${other})`;
  },
  'pci-names': (rng, s) => {
    const p = split(s);
    p.name = pick(rng, PCI_NAMES);
    return join(p);
  },
  'legacy-names': (rng, s) => {
    const p = split(s);
    const swaps: Array<[RegExp, string]> = [
      [/^net_bonding/, 'eth_bond'],
      [/^eth_bond/, 'net_bonding'],
      [/^net_/, 'eth_'],
      [/^eth_/, 'net_'],
      [/^net_virtio_user/, 'virtio_user'],
      [/^[a-z]/, (p.name[0] ?? 'n').toUpperCase()],
    ];
    const [re, to] = pick(rng, swaps);
    p.name = re.test(p.name) ? p.name.replace(re, to) : p.name.toUpperCase();
    return join(p);
  },
  'instance-names': (rng, s) => {
    const p = split(s);
    const base = p.name.replace(/\d+$/, '');
    p.name = pick(rng, [
      base,
      `${base}_`,
      `${base}0x`,
      `${base}-1`,
      `${base}.0`,
      `${base}${'9'.repeat(Math.max(0, 63 - base.length))}`,
      `${base}${'9'.repeat(Math.max(0, 64 - base.length))}`,
      `${base}${'z'.repeat(200)}`,
      `${base}0${base}0`,
      '0',
      '_',
    ]);
    return join(p);
  },
  'long-strings': (rng, s) => {
    const target = pick(rng, [128, 129, 255, 256, 4095, 4096, 4097, 8192]);
    let out = s;
    for (let n = 0; out.length < target; n++) out += `,k${n}=${'v'.repeat(int(rng, 40) + 1)}`;
    return rng() < 0.5 ? out.slice(0, target) : out;
  },
  truncate: (rng, s) => s.slice(0, int(rng, s.length)),
  splice: (rng, s) => {
    const other = split(pick(rng, pick(rng, Object.values(DEVARGS_SEEDS))));
    const p = split(s);
    p.args.push(...other.args.slice(0, 1 + int(rng, 2)));
    return join(p);
  },
  'key-case': (rng, s) => {
    const p = split(s);
    if (p.args.length === 0) return `${s},IFACE=lo`;
    const i = int(rng, p.args.length);
    p.args[i] = p.args[i]!.replace(/^[^=]*/, (k) => k.toUpperCase());
    return join(p);
  },
  whitespace: (rng, s) =>
    pick(rng, [` ${s}`, `${s} `, s.replace(',', ' ,'), s.replace('=', ' = '), `${s}\u3000`]),
  'args-only': (rng, s) => {
    const p = split(s);
    return rng() < 0.5 ? `,${p.args.join(',')}` : p.name;
  },
};

// ------------------------------------------------------------------ options (Eal.init)

/**
 * An options value the child builds for real: JSON cannot carry undefined, NaN, bigint,
 * functions, symbols, getters, or a key named `__proto__` as an own key, so they are described.
 */
export type OptionValue =
  | { t: 'json'; v: unknown }
  | { t: 'number'; v: 'NaN' | 'Infinity' | '-Infinity' | '-0' }
  | { t: 'undefined' }
  | { t: 'bigint'; v: string }
  | { t: 'symbol' }
  | { t: 'function' }
  | { t: 'date' }
  | { t: 'getter'; v: OptionValue }
  | { t: 'devargs'; v: string[] };

export interface OptionsRecipe {
  /** What `Eal.init` is given: an object of the entries, or another kind of value. */
  readonly shape:
    | 'object'
    | 'null-prototype'
    | 'frozen'
    | 'proxy'
    | 'class'
    | 'array'
    | 'null'
    | 'string'
    | 'number';
  /** Own keys, in order; the base (noHuge, noPci, noSharedConfig, filePrefix …) unless removed. */
  readonly entries: ReadonlyArray<readonly [string, OptionValue]>;
}

const json = (v: unknown): OptionValue => ({ t: 'json', v });

/** Valid options: the child's EAL stays small and private (its filePrefix is added by the child). */
export const BASE_OPTIONS: ReadonlyArray<readonly [string, OptionValue]> = [
  ['noHuge', json(true)],
  ['noPci', json(true)],
  ['noSharedConfig', json(true)],
  ['memoryMb', json(64)],
  ['logLevel', json('error')],
  ['logEcho', json(false)],
];

const OPTION_KEYS = [
  'lcores',
  'memoryMb',
  'noHuge',
  'noPci',
  'vdevs',
  'allow',
  'block',
  'filePrefix',
  'noSharedConfig',
  'inMemory',
  'iovaMode',
  'processType',
  'logLevel',
  'logEcho',
  'extraArgs',
  'allowShellCommandsInDevargs',
  'overwriteFiles',
  'drivers',
  'dpdk',
];
const NEAR_MISSES = [
  'noShconf',
  'no-huge',
  'nohuge',
  'NoHuge',
  'noHugePages',
  'memory',
  'memoryMB',
  'mem',
  'filePrefx',
  'file_prefix',
  'logLevl',
  'loglevel',
  'lcore',
  'cores',
  'vdev',
  'iova',
  'proc-type',
  'allowExec',
  'overwrite',
  'whitelist',
  'pmds',
  'noPCI',
  'inmemory',
];
const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
];
const WRONG_VALUES: readonly OptionValue[] = [
  json('true'),
  json('false'),
  json(0),
  json(1),
  json(''),
  json(' '),
  json(null),
  json([]),
  json({}),
  json([true]),
  json(['']),
  json(['a\u0000b']),
  json('--no-huge'),
  json({ noHuge: true }),
  json(-1),
  json(1.5),
  json(2 ** 53),
  json('x'.repeat(5000)),
  { t: 'number', v: 'NaN' },
  { t: 'number', v: 'Infinity' },
  { t: 'number', v: '-0' },
  { t: 'undefined' },
  { t: 'bigint', v: '64' },
  { t: 'symbol' },
  { t: 'function' },
  { t: 'date' },
  { t: 'getter', v: json(true) },
];
const VALUES_BY_KEY: Readonly<Record<string, readonly unknown[]>> = {
  memoryMb: [0, 1, 16, 1048576, 1048577, -64, 64.5, '64'],
  lcores: [
    '0',
    '0-1',
    [0],
    [0, 1],
    [0, 0],
    [1, 0],
    [127],
    [128],
    '0-127',
    [],
    '',
    '1,0',
    [-1],
    ['0'],
    '0-',
    '-1',
  ],
  filePrefix: [
    '.',
    '..',
    '../x',
    'a/b',
    'x'.repeat(32),
    'x'.repeat(33),
    '',
    'ok.name',
    '.hidden',
    'é',
    'a b',
    'rte',
  ],
  iovaMode: ['pa', 'va', 'PA', 'dc', ''],
  processType: ['primary', 'auto', 'secondary', 'Primary', 'invalid'],
  logLevel: ['debug', 'emergency', 'notice', 'DEBUG', 'verbose', 'error '],
  allow: [['0000:00:00.0'], ['00:01.0,rxq=1'], ['zz'], ['0000:00:00.0,key']],
  block: [['0000:00:00.0'], ['nonsense'], []],
  drivers: [['relative.so'], ['/etc/passwd'], ['/nonexistent/librte_x.so'], ['/usr/lib']],
  dpdk: ['/nonexistent', '/', '', 'relative'],
  extraArgs: [
    ['-v'],
    ['--no-telemetry'],
    ['--log-level=lib.eal:error'],
    [''],
    ['--in-memory'],
    ['--bogus'],
    ['--help'],
    ['--vdev=net_ring9,nodeaction'],
  ],
  noSharedConfig: [false, true],
  noHuge: [true, false],
  inMemory: [true, false],
};

export const OPTIONS_MUTATIONS: Readonly<
  Record<string, (rng: Rng, entries: Array<[string, OptionValue]>) => OptionsRecipe['shape'] | undefined>
> = {
  'unknown-key': (rng, e) => {
    e.push([
      pick(rng, ['foo', 'NOHUGE', '', ' ', 'noHuge ', 'x'.repeat(300), '0', 'é', '\u0000']),
      json(true),
    ]);
    return undefined;
  },
  'near-miss-key': (rng, e) => {
    e.push([pick(rng, NEAR_MISSES), json(pick(rng, [true, 64, 'x']))]);
    return undefined;
  },
  'prototype-key': (rng, e) => {
    const key = pick(rng, PROTO_KEYS);
    e.push([
      key,
      pick(rng, [json({ noHuge: false, extraArgs: ['--bogus'] }), json(null), json('x'), json(true)]),
    ]);
    return undefined;
  },
  'wrong-type': (rng, e) => {
    const key = pick(rng, OPTION_KEYS);
    setEntry(e, key, pick(rng, WRONG_VALUES));
    return undefined;
  },
  'limit-values': (rng, e) => {
    const key = pick(rng, Object.keys(VALUES_BY_KEY));
    setEntry(e, key, json(pick(rng, VALUES_BY_KEY[key]!)));
    return undefined;
  },
  'vdevs-devargs': (rng, e) => {
    const n = 1 + int(rng, 2);
    const list: string[] = [];
    for (let k = 0; k < n; k++) list.push(makeDevargs(rng).devargs.replace('0', String(5 + k)));
    setEntry(e, 'vdevs', { t: 'devargs', v: list });
    return undefined;
  },
  'remove-base-key': (rng, e) => {
    // Never noHuge: the child's EAL stays off hugepages (the sandbox hides them anyway).
    const keys = e.map(([k]) => k).filter((k) => k !== 'noHuge');
    const key = pick(rng, keys.length ? keys : ['noPci']);
    const i = e.findIndex(([k]) => k === key);
    if (i >= 0) e.splice(i, 1);
    return undefined;
  },
  'not-an-object': (rng) =>
    pick(rng, ['array', 'null', 'string', 'number', 'null-prototype', 'frozen', 'proxy', 'class'] as const),
};

function setEntry(e: Array<[string, OptionValue]>, key: string, value: OptionValue): void {
  const i = e.findIndex(([k]) => k === key);
  if (i >= 0) e[i] = [key, value];
  else e.push([key, value]);
}

// ------------------------------------------------------------------ inputs

export interface DevargsInput {
  readonly kind: 'devargs';
  readonly index: number;
  /** The PMD (key of DEVARGS_SEEDS) of the seed it was mutated from. */
  readonly pmd: string;
  readonly seed: string;
  /** Mutations applied, in order (none: the seed itself, which must attach or fail cleanly). */
  readonly mutations: readonly string[];
  /** With placeholders ({tmp}, {pcap}, {file}, {fifo}). */
  readonly devargs: string;
}

export interface OptionsInput {
  readonly kind: 'options';
  readonly index: number;
  readonly mutations: readonly string[];
  readonly recipe: OptionsRecipe;
}

export type FuzzInput = DevargsInput | OptionsInput;

function mutationCount(rng: Rng): number {
  const r = rng();
  return r < 0.04 ? 0 : r < 0.64 ? 1 : r < 0.89 ? 2 : 3;
}

function makeDevargs(rng: Rng): { pmd: string; seed: string; mutations: string[]; devargs: string } {
  const pmd = pick(rng, Object.keys(DEVARGS_SEEDS));
  const seed = pick(rng, DEVARGS_SEEDS[pmd]!);
  const names = Object.keys(DEVARGS_MUTATIONS);
  const mutations: string[] = [];
  let devargs = seed;
  for (let k = mutationCount(rng); k > 0; k--) {
    const name = pick(rng, names);
    mutations.push(name);
    devargs = DEVARGS_MUTATIONS[name]!(rng, devargs, pmd);
  }
  return { pmd, seed, mutations, devargs };
}

/** Share of inputs that are `Eal.init` options objects (each can cost a fresh child). */
export const OPTIONS_SHARE = 0.05;

/** Input `index` of seed `seed`. */
export function makeInput(seed: number, index: number): FuzzInput {
  const rng = inputRng(seed, index);
  if (rng() < OPTIONS_SHARE) {
    const entries = BASE_OPTIONS.map(([k, v]) => [k, v] as [string, OptionValue]);
    const names = Object.keys(OPTIONS_MUTATIONS);
    const mutations: string[] = [];
    let shape: OptionsRecipe['shape'] = 'object';
    for (let k = Math.max(1, mutationCount(rng)); k > 0; k--) {
      const name = pick(rng, names);
      mutations.push(name);
      shape = OPTIONS_MUTATIONS[name]!(rng, entries) ?? shape;
    }
    return { kind: 'options', index, mutations, recipe: { shape, entries } };
  }
  return { kind: 'devargs', index, ...makeDevargs(rng) };
}

/** Inputs `from` … `from + count - 1` of seed `seed`. */
export function makeInputs(seed: number, count: number, from = 0): FuzzInput[] {
  return Array.from({ length: count }, (_, k) => makeInput(seed, from + k));
}
