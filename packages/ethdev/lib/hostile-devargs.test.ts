/**
 * Issue 27, "Hostile devargs, round two": each case another fuzzer found, on real DPDK, in a
 * child process of its own (the inputs crashed or hung the process that ran them): refused before
 * DPDK runs with a typed error naming the key, or cleaned up so that nothing is left behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDevargs } from './devargs.js';
import { runtimeDirFor } from './runtime-dir.js';
import { Defer, dpdkHasPmds, errorOf, ip, isRoot, uniqueIfName } from './test-support/env.js';

const STEPS = fileURLToPath(new URL('./test-support/steps-child.mjs', import.meta.url));
let root: string;
const defer = new Defer();
let serial = 0;
// PMDs Debian's DPDK has and a reduced source build (the release matrix's) has not.
const otherClasses = dpdkHasPmds(
  'baseband_null',
  'compress_zlib',
  'event_opdl',
  'crypto_null',
  'compress_isal',
);
const NO_OTHER_CLASSES = 'this DPDK has no baseband, compress or event PMDs (a reduced source build)';
const NO_SOFTNIC = 'this DPDK has no net_softnic (a reduced source build)';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dphp-hostile-'));
});
afterAll(() => {
  defer.run();
  rmSync(root, { recursive: true, force: true });
});

interface Step {
  op: string;
  value?: unknown;
  code?: string;
  key?: string;
  message?: string;
  ms: number;
}
interface Run {
  steps: Step[];
  signal: NodeJS.Signals | null;
  code: number | null;
  hung: boolean;
  stdout: string;
}

type Call = [op: string, arg?: unknown, options?: Record<string, unknown>];

/** The calls in a child with its own EAL; killed after `limitMs` (a hang). */
function run(
  calls: Call[],
  options: Record<string, unknown> = {},
  env: Record<string, string> = {},
  limitMs = 20_000,
): Promise<Run> {
  const prefix = `vitest-hostile-${process.pid}-${serial++}`;
  const child = spawn(process.execPath, [STEPS, prefix, JSON.stringify(options), JSON.stringify(calls)], {
    stdio: 'pipe',
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, limitMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A crashed or killed child leaves its runtime folder: ours, by its unique prefix.
      rmSync(runtimeDirFor(prefix), { recursive: true, force: true });
      const steps = stderr
        .split('\n')
        .filter((l) => l.startsWith('STEP '))
        .map((l) => JSON.parse(l.slice(5)) as Step);
      resolve({ steps, signal: hung ? null : signal, code, hung, stdout });
    }),
  );
}

/** The child ended on its own (no signal, no hang), and ran every step. */
function survived(r: Run, calls: Call[]): Step[] {
  expect({ signal: r.signal, hung: r.hung, code: r.code }, JSON.stringify(r.steps)).toEqual({
    signal: null,
    hung: false,
    code: 0,
  });
  expect(r.steps.map((s) => s.op)).toEqual(calls.map((c) => c[0]));
  return r.steps;
}

async function runs(
  calls: Call[],
  options?: Record<string, unknown>,
  env?: Record<string, string>,
): Promise<Step[]> {
  return survived(await run(calls, options, env), calls);
}

describe('ports only, unless asked', () => {
  it('refuses a device of another class (baseband, compress, event) before DPDK runs: they crashed on an unknown key', async ({
    skip,
  }) => {
    skip(!otherClasses, NO_OTHER_CLASSES);
    const calls: Call[] = [
      ['attach', 'baseband_null0,x=1'],
      ['attach', 'compress_zlib0,x=1'],
      ['attach', 'event_opdl1,self_test=1'],
      ['attach', 'crypto_null0'],
      ['ports'],
      ['cleanup'],
    ];
    const [bb, zlib, opdl, crypto, ports, cleanup] = await runs(calls);
    for (const [s, driver, cls] of [
      [bb, 'baseband_null', 'baseband'],
      [zlib, 'compress_zlib', 'compress'],
      [opdl, 'event_opdl', 'event'],
      [crypto, 'crypto_null', 'crypto'],
    ] as const) {
      expect(s!.code, s!.message).toBe('NOT_A_PORT_DEVICE');
      expect(s!.message).toContain(`${driver} is a ${cls} driver`);
      expect(s!.message).toContain(`librte_${cls}_`);
    }
    expect(ports!.value).toEqual([]);
    expect(cleanup!.value).toEqual([]);
  });

  it("refuses another class in Eal.init's vdevs too, from the PMDs DPDK will load (the fuzzer's crashes at init)", async ({
    skip,
  }) => {
    skip(!otherClasses, NO_OTHER_CLASSES);
    for (const vdev of ['compress_isal5,socket_id=0,iface=lo,force=1', 'baseband_null5,firmware=/x']) {
      const r = await run([], { vdevs: [vdev] });
      expect({ signal: r.signal, code: r.code }).toEqual({ signal: null, code: 0 });
      expect(r.steps[0]).toMatchObject({ op: 'init', code: 'NOT_A_PORT_DEVICE' });
    }
  });

  it('with nonPortDevices, holds another class to the keys its PMD registers, and leaves nothing probed', async ({
    skip,
  }) => {
    skip(!otherClasses, NO_OTHER_CLASSES);
    const calls: Call[] = [
      ['attach', 'baseband_null0,x=1'],
      ['attach', 'compress_zlib0,x=1'],
      ['attach', 'baseband_null0,max_nb_queue=2'],
      ['attach', 'event_opdl1,self_test=1'],
      ['attach', 'baseband_null0,max_nb_queues=2'],
      ['attach', 'baseband_null0,max_nb_queues=2'],
      ['attach', 'crypto_aesni_mb5,name=00[a,b]'],
      ['cleanup'],
    ];
    const [x, zlib, near, selfTest, first, again, named, cleanup] = await runs(calls, {
      nonPortDevices: true,
    });
    expect([x!.code, x!.key]).toEqual(['INVALID_DEVARGS', 'x']);
    expect(x!.message).toContain('baseband_null takes max_nb_queues, socket_id');
    expect([zlib!.code, zlib!.key]).toEqual(['INVALID_DEVARGS', 'x']);
    expect(zlib!.message).toContain('compress_zlib takes no arguments');
    expect(near!.message).toContain('did you mean max_nb_queues?');
    expect([selfTest!.code, selfTest!.key]).toEqual(['INVALID_DEVARGS', 'self_test']);
    // Probed, no port: removed again, so that a retry is not ALREADY_ATTACHED.
    expect(first!.code).toBe('NO_PORT_CREATED');
    expect(again!.code).toBe('NO_PORT_CREATED');
    // The device that no detach could remove (ENODEV, cleanup() too): its name= is not a key
    // crypto_aesni_mb registers.
    expect([named!.code, named!.key]).toEqual(['INVALID_DEVARGS', 'name']);
    expect(cleanup!.value).toEqual([]);
  });

  it('an attach that makes no port leaves nothing behind (net_null0,no-rx=1,copy=1)', async () => {
    const calls: Call[] = [
      ['attach', 'net_null0,no-rx=1,copy=1'],
      ['ports'],
      ['attach', 'net_null0,no-rx=1,copy=1'],
      ['attach', 'net_null0'],
      ['ports'],
    ];
    const [first, ports, again, plain, after] = await runs(calls);
    expect(first!.code).toBe('NO_PORT_CREATED');
    expect(first!.message).not.toContain('detachDevice');
    expect(ports!.value).toEqual([]);
    expect(again!.code).toBe('NO_PORT_CREATED');
    expect(plain!.value).toBe(0);
    expect(after!.value).toEqual(['net_null0@net_null0']);
  });

  it.skipIf(!isRoot || !dpdkHasPmds('net_vdev_netvsc'))(
    "net_vdev_netvsc's failsafe port is not left behind when the attach says NO_PORT_CREATED",
    async () => {
      const veth = uniqueIfName('nv');
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`);
      defer.add(() => ip('link', 'del', veth));
      ip('link', 'set', veth, 'up');
      const calls: Call[] = [['attach', `net_vdev_netvsc6,iface=${veth},force=1`], ['ports'], ['cleanup']];
      const [attach, ports, cleanup] = await runs(calls);
      if (attach!.code === undefined) {
        // The port the probe made is the caller's: seen, and detached with its device.
        expect(ports!.value).toContain(`net_failsafe_vsc0@net_failsafe_vsc0`);
      } else {
        expect(attach!.code).toBe('NO_PORT_CREATED');
        expect(ports!.value).toEqual([]);
      }
      expect(cleanup!.value).toEqual([]);
    },
  );
});

describe('composite devices', () => {
  it("refuses a failsafe sub-device's nodeaction: net_ring names the port after the node and failsafe loses it", async () => {
    const calls: Call[] = [
      ['attach', 'net_failsafe0,dev(net_ring1,nodeaction=r5:0:CREATE)'],
      ['attach', 'net_failsafe4,dev(net_ring46,nodeaction=r3:-1:CREATE)'],
      ['ports'],
      ['cleanup'],
    ];
    const [a, b, ports, cleanup] = await runs(calls);
    for (const s of [a!, b!]) expect([s.code, s.key]).toEqual(['INVALID_DEVARGS', 'nodeaction']);
    expect(ports!.value).toEqual([]);
    expect(cleanup!.value).toEqual([]);
  });

  it('refuses a failsafe that names an attached device, unless the caller asks for the capture', async () => {
    const calls: Call[] = [
      ['attach', 'net_null3'],
      ['attach', 'net_failsafe0,dev(net_null3)'],
      ['ports'],
      ['attach', 'net_failsafe0,dev(net_null3)', { captureDevices: true }],
      ['detachDevice', 'net_failsafe0', { force: true }],
      ['ports'],
      ['cleanup'],
    ];
    const [, refused, ports, captured, detached, after, cleanup] = await runs(calls);
    expect([refused!.code, refused!.key]).toEqual(['INVALID_DEVARGS', 'dev(...)']);
    expect(refused!.message).toContain('net_null3 is attached');
    expect(ports!.value).toEqual(['net_null3@net_null3']);
    expect(captured!.value).toBe(1);
    expect(detached!.value).toBe('net_failsafe0');
    expect(after!.value).toEqual([]);
    expect(cleanup!.value).toEqual([]);
  });

  it('says ALREADY_ATTACHED for a device attached twice, whatever it holds by now (failsafe, vhost)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dphp-twice-'));
    const socket = join(dir, 'vhost.sock');
    const vhost = `net_vhost0,iface=${socket}`;
    const calls: Call[] = [
      ['attach', 'net_failsafe0,dev(net_null3)'],
      ['attach', 'net_failsafe0,dev(net_null3)'],
      ['detachDevice', 'net_failsafe0', { force: true }],
      // vhost's socket exists once it is attached: a new probe there would be refused.
      ['attach', vhost],
      ['attach', vhost],
      ['detachDevice', 'net_vhost0', { force: true }],
      ['ports'],
      ['cleanup'],
    ];
    const [first, second, detached, vFirst, vSecond, vDetached, after, cleanup] = await runs(calls);
    expect(first!.value).toBeTypeOf('number');
    expect(second!.code).toBe('ALREADY_ATTACHED');
    expect(detached!.value).toBe('net_failsafe0');
    expect(vFirst!.value).toBeTypeOf('number');
    expect(vSecond!.code).toBe('ALREADY_ATTACHED');
    expect(vDetached!.value).toBe('net_vhost0');
    expect(after!.value).toEqual([]);
    expect(cleanup!.value).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no port of a device that went with a detached composite (a failsafe sub-device the caller closed), and takes its port in at attach', async () => {
    // ports() takes the sub-device's port in; the caller then closes it before the failsafe goes.
    const calls: Call[] = [
      ['attach', 'net_failsafe0,dev(net_null1)'],
      ['ports'],
      ['close', 1],
      ['release', 0],
      ['ports'],
      ['attach', 'net_failsafe2,dev(net_ring3)'],
      ['ports'],
      ['close', 1],
      ['close', 0],
      ['detach', 0],
      ['ports'],
      // No ports() first: the attach took the sub-device's port in.
      ['attach', 'net_failsafe4,dev(net_null5)'],
      ['close', 1],
      ['ports'],
      ['detachAsync', 0, { force: true }],
      ['ports'],
      ['cleanup'],
    ];
    const steps = await runs(calls);
    expect(steps[1]!.value).toEqual(['net_failsafe0@net_failsafe0', 'net_null1@net_null1']);
    for (const s of steps) expect(s.code, `${s.op}: ${s.message}`).toBeUndefined();
    // Before: the closed sub-device's port stayed in ports() after its failsafe was gone.
    for (const i of [4, 10, 15]) expect(steps[i]!.value).toEqual([]);
    expect(steps[13]!.value).toEqual(['net_failsafe4@net_failsafe4', 'net_null5@net_null5']);
    expect(steps[16]!.value).toEqual([]);
  });

  it('refuses a memif client on the listener a detached memif server of this process kept (cleanup() crashed after it)', async () => {
    const sock = join(root, 'memif.sock');
    const calls: Call[] = [
      ['attach', `net_memif0,role=server,secret=a,socket=${sock}`],
      ['close', 0],
      ['detach', 0],
      ['attach', `net_memif9,socket=${sock}`],
      ['ports'],
    ];
    const [, , , client, ports] = await runs(calls);
    expect([client!.code, client!.key]).toEqual(['INVALID_DEVARGS', 'socket']);
    expect(client!.message).toContain('net_memif0');
    expect(ports!.value).toEqual([]);
  });

  it("cleanup() after a memif server runs rte_eal_cleanup and ends DPDK's threads; a peer on the kept listener after it is harmless", async () => {
    // net_memif never unregisters its server's listener from the interrupt thread (22.11 … 25.11):
    // with DPDK's memory unmapped, the thread's next wake (this peer's connection) read it, SIGSEGV.
    const name = `@dphp-hostile-${process.pid}`;
    const calls: Call[] = [
      ['attach', `net_memif0,role=server,secret=a,socket=${name}`],
      ['configure', 0],
      ['start', 0],
      ['stop', 0],
      ['close', 0],
      ['detach', 0],
      ['threads'],
      ['vmSizeKb'],
      ['cleanup'],
      ['threads'],
      ['vmSizeKb'],
      // memif prefixes the abstract name with NUL and keeps the "@".
      ['connectSeqpacket', name],
    ];
    const steps = await runs(calls);
    const [threadsBefore, vmBefore, cleanup, threadsAfter, vmAfter, peer] = steps.slice(6);
    // eal-intr-thread and telemetry-v2 up to 23.07; dpdk-intr and dpdk-telemet-v2 from 23.11.
    const names = threadsBefore!.value as string[];
    expect(names.filter((n) => /^(eal-intr-thread|dpdk-intr)$/.test(n))).toHaveLength(1);
    expect(names.filter((n) => /^(telemetry-v2|dpdk-telemet-v2)$/.test(n))).toHaveLength(1);
    expect(cleanup!.value).toEqual([]);
    // DPDK names its threads eal-…, dpdk-…, telemetry-…, rte_…; Node's (node, libuv-worker …) stay.
    const dpdkThreads = (value: unknown) =>
      (value as string[]).filter((n) => /^(eal-|dpdk-|telemetry-|rte_)/.test(n));
    expect(dpdkThreads(threadsBefore!.value)).toHaveLength(2);
    expect(dpdkThreads(threadsAfter!.value)).toEqual([]);
    // rte_eal_cleanup unmapped DPDK's memory (memoryMb 128).
    expect((vmBefore!.value as number) - (vmAfter!.value as number)).toBeGreaterThan(100 * 1024);
    expect(peer!.value).toBe('connected');
  });

  it('reads a memif devargs with a key memif does not know as memif does: a client on its default socket', () => {
    // The sequence used the default socket (abstract, host-wide): shown here on the parser,
    // as another test's memif there would make the DPDK run flaky.
    const kept = new Map([['net_memif0', '/run/memif.sock (abstract)']]);
    const policy = { memifListeners: kept, attached: () => false };
    const e = errorOf(() =>
      parseDevargs('net_memif9,mac=ff:ff:ff:ff:ff:ff,socket=/x,nodeaction=r0:1:ATTACH', policy),
    );
    expect([e?.code, e?.key]).toEqual(['INVALID_DEVARGS', 'nodeaction']);
    expect(e!.message).toContain('memif ignores every argument when one is unknown (nodeaction)');
    expect(errorOf(() => parseDevargs('net_memif9,socket=/x', policy))).toBeUndefined();
    expect(errorOf(() => parseDevargs('net_memif9', { ...policy, attached: () => true }))).toBeUndefined();
  });
});

/** A UNIX socket that accepts and never answers. */
async function silentSocket(path: string): Promise<Server> {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(path, r));
  defer.add(() => server.close());
  return server;
}

describe('sockets and special files', () => {
  it('refuses a virtio_user path whose peer accepts and never answers, within a deadline, sync and async', async () => {
    const sock = join(root, 'silent.sock');
    await silentSocket(sock);
    const calls: Call[] = [
      ['attach', `net_virtio_user1,path=${sock}`],
      ['attachAsync', `net_virtio_user1,path=${sock}`],
      ['attach', 'net_null0'],
      ['cleanup'],
    ];
    const [sync, async, after, cleanup] = await runs(calls);
    for (const s of [sync!, async!]) {
      expect([s.code, s.key], s.message).toEqual(['INVALID_DEVARGS', 'path']);
      expect(s.message).toContain('did not answer VHOST_USER_GET_FEATURES');
      expect(s.ms).toBeLessThan(5000);
    }
    expect(after!.value).toBe(0);
    expect(cleanup!.value).toEqual([]);
  });

  it('refuses a special file where a PMD reads a regular one (softnic firmware=/dev/zero hung its start)', async ({
    skip,
  }) => {
    skip(!dpdkHasPmds('net_softnic'), NO_SOFTNIC);
    const fifo = join(root, 'fw.fifo');
    execFileSync('mkfifo', [fifo]);
    const link = join(root, 'zero-link');
    symlinkSync('/dev/zero', link);
    const calls: Call[] = [
      ['attach', 'net_softnic0,firmware=/dev/zero'],
      ['attach', `net_softnic0,firmware=${fifo}`],
      ['attach', `net_softnic0,firmware=${link}`],
      ['attach', `net_softnic0,firmware=${root}`],
    ];
    for (const s of await runs(calls)) {
      expect([s.code, s.key], s.message).toEqual(['INVALID_DEVARGS', 'firmware']);
      expect(s.message).toContain('not a regular file');
    }
  });

  it('refuses a vhost iface that is an existing file, FIFO or live socket: the PMD would unlink it', async () => {
    const dir = join(root, 'vhost');
    mkdirSync(dir);
    const precious = join(dir, 'precious');
    writeFileSync(precious, 'precious data');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const live = join(dir, 'live.sock');
    await silentSocket(live);
    const calls: Call[] = [
      ['attach', `net_vhost0,iface=${precious}`],
      ['attach', `net_vhost0,iface=${fifo}`],
      ['attach', `net_vhost0,iface=${live}`],
      ['attach', `net_vhost0,iface=${join(dir, 'new.sock')}`],
      ['configure', 0],
      ['close', 0],
      ['detach', 0],
    ];
    const [file, f, sock, fresh, configure] = await runs(calls);
    for (const s of [file!, f!, sock!])
      expect([s.code, s.key], s.message).toEqual(['INVALID_DEVARGS', 'iface']);
    expect(file!.message).toContain('would unlink it');
    expect(sock!.message).toContain('another process listens on it');
    expect(fresh!.value).toBe(0);
    expect(configure!.code).toBeUndefined();
    expect(readFileSync(precious, 'utf8')).toBe('precious data');
    expect(existsSync(fifo)).toBe(true);
  });

  /** softnic with a firmware file of `lines`, through configure and `start` (or startAsync) to detach. */
  async function softnicStart(start: 'start' | 'startAsync', lines: string) {
    const firmware = join(root, `firmware-${start}.cli`);
    writeFileSync(firmware, lines);
    const calls: Call[] = [
      ['attach', `net_softnic0,firmware=${firmware}`],
      ['configure', 0],
      [start, 0],
      ['pmdOutput'],
      ['stop', 0],
      ['close', 0],
      ['detach', 0],
    ];
    const r = await run(calls);
    const steps = survived(r, calls);
    const [event] = steps[3]!.value as Array<{ port: number; call: string; stdout: string }>;
    return { stdout: r.stdout, event: event!, startValue: steps[2]!.value };
  }

  it('keeps what a PMD prints at start off stdout (softnic echoes each line of its firmware file)', async ({
    skip,
  }) => {
    skip(!dpdkHasPmds('net_softnic'), NO_SOFTNIC);
    const { stdout, event } = await softnicStart('start', 'precious line one\nprecious line two\n');
    expect(stdout).toBe('');
    expect(event).toMatchObject({ port: 0, call: 'start' });
    expect(event.stdout).toContain('precious line one');
  });

  it('keeps what a PMD prints in startAsync off stdout too, and what Node writes meanwhile on it', async ({
    skip,
  }) => {
    skip(!dpdkHasPmds('net_softnic'), NO_SOFTNIC);
    const { stdout, event, startValue } = await softnicStart(
      'startAsync',
      'precious async line one\nprecious async line two\n',
    );
    expect(stdout).not.toContain('precious');
    expect(event).toMatchObject({ port: 0, call: 'startAsync' });
    expect(event.stdout).toContain('precious async line one');
    expect(event.stdout).not.toContain('node line');
    // Every line console.log wrote while the start ran is on the real stdout.
    expect(stdout.split('\n').filter((l) => l.startsWith('node line'))).toHaveLength(startValue as number);
  });
});

describe('a path policy', () => {
  it('refuses paths outside devargsPaths, and symlinks that lead outside (dangling ones too)', async () => {
    const allowed = join(root, 'allowed');
    const outside = join(root, 'outside');
    mkdirSync(allowed);
    mkdirSync(outside);
    symlinkSync(join(outside, 'made-by-pmd.pcap'), join(allowed, 'dangling.pcap'));
    symlinkSync(outside, join(allowed, 'out'));
    const calls: Call[] = [
      ['attach', `net_pcap0,tx_pcap=${join(outside, 'a.pcap')}`],
      ['attach', `net_pcap0,tx_pcap=${join(allowed, 'dangling.pcap')}`],
      ['attach', `net_pcap0,tx_pcap=${join(allowed, 'out', 'b.pcap')}`],
      ['attach', `net_pcap0,tx_pcap=${join(allowed, '..', 'outside', 'c.pcap')}`],
      ['attach', 'net_softnic0,firmware=/etc/passwd'],
      ['attach', `net_pcap0,tx_pcap=${join(allowed, 'ok.pcap')}`],
    ];
    const [plain, dangling, dir, dots, passwd, ok] = await runs(calls, { devargsPaths: [allowed] });
    for (const [s, key] of [
      [plain, 'tx_pcap'],
      [dangling, 'tx_pcap'],
      [dir, 'tx_pcap'],
      [dots, 'tx_pcap'],
      [passwd, 'firmware'],
    ] as const) {
      expect([s!.code, s!.key], s!.message).toEqual(['INVALID_DEVARGS', key]);
      expect(s!.message).toContain('outside the devargs paths');
    }
    expect(dangling!.message).toContain(join(outside, 'made-by-pmd.pcap'));
    expect(ok!.value).toBe(0);
    expect(existsSync(join(outside, 'made-by-pmd.pcap'))).toBe(false);
    expect(execFileSync('ls', [outside], { encoding: 'utf8' })).toBe('');
  });

  it('takes its folders from DPDK_HOTPLUG_DEVARGS_PATHS when Eal.init names none (what certify --devargs-paths sets)', async () => {
    const allowed = join(root, 'env-allowed');
    mkdirSync(allowed);
    const calls: Call[] = [
      ['attach', `net_pcap0,tx_pcap=${join(root, 'env-outside.pcap')}`],
      ['attach', `net_pcap0,tx_pcap=${join(allowed, 'in.pcap')}`],
    ];
    const [outside, inside] = await runs(calls, {}, { DPDK_HOTPLUG_DEVARGS_PATHS: allowed });
    expect([outside!.code, outside!.key]).toEqual(['INVALID_DEVARGS', 'tx_pcap']);
    expect(inside!.value).toBe(0);
    expect(existsSync(join(root, 'env-outside.pcap'))).toBe(false);
  });
});

describe('PCI devices are class-checked', () => {
  it('refuses a PCI device that is not a network controller before DPDK probes it (fake sysfs), unless nonPortDevices', async () => {
    const sysfs = join(root, 'sys');
    for (const [address, code] of [
      ['0000:05:00.0', '0x010802'], // an NVMe drive
      ['0000:06:00.0', '0x120000'], // a processing accelerator
      ['0000:07:00.0', '0x020000'], // an Ethernet controller
    ]) {
      mkdirSync(join(sysfs, 'bus/pci/devices', address!), { recursive: true });
      writeFileSync(join(sysfs, 'bus/pci/devices', address!, 'class'), `${code}\n`);
    }
    const calls: Call[] = [
      ['attach', '0000:05:00.0'],
      ['attach', '06:00.0'],
      ['attach', '0000:07:00.0'],
      ['attach', '0000:08:00.0'], // not in this sysfs: DPDK's answer
    ];
    const [nvme, accel, nic, absent] = await runs(calls, { sysfs });
    expect([nvme!.code, accel!.code]).toEqual(['NOT_A_PORT_DEVICE', 'NOT_A_PORT_DEVICE']);
    expect(nvme!.message).toContain(
      '0000:05:00.0 is a PCI device of class 0x010802 (mass storage controller), not a network controller (0x02xxxx)',
    );
    expect(accel!.message).toContain('class 0x120000 (processing accelerator)');
    // A network controller and an unknown address reach DPDK, which has no PCI bus here (noPci)
    // and finds no such device: its answer, not the class check's.
    expect([nic!.code, absent!.code]).toEqual(['DEVICE_NOT_FOUND', 'DEVICE_NOT_FOUND']);
    const [allowed] = await runs([['attach', '0000:05:00.0']], { sysfs, nonPortDevices: true });
    expect(allowed!.code).toBe('DEVICE_NOT_FOUND');
  });
});

describe('resource bounds', () => {
  it('refuses an af_packet ring budget over the limit, with the arithmetic (framecnt=1048576,qpairs=16 asked ~64 GiB)', async () => {
    const calls: Call[] = [
      ['attach', 'net_af_packet0,iface=lo,framecnt=1048576,qpairs=16'],
      ['attach', 'net_af_packet0,iface=lo,framecnt=131072,qpairs=2'],
      ['attach', 'net_memif0,rsize=14,bsize=65535,socket=@x'],
      ['attach', 'net_af_packet0,iface=lo,qpairs=64'],
    ];
    const [big, gib, memif, qpairs] = await runs(calls);
    // 64 queue pairs took 2.6 s to probe here, over 5 s under load (the fuzzer's hangs).
    expect([qpairs!.code, qpairs!.key]).toEqual(['INVALID_DEVARGS', 'qpairs']);
    expect(qpairs!.message).toContain('at most 16');
    expect([big!.code, big!.key]).toEqual(['INVALID_DEVARGS', 'framecnt']);
    expect(big!.message).toContain('2 rings × 16 qpairs × 1048576 frames × 2048 bytes = 64 GiB');
    expect([gib!.code, gib!.key]).toEqual(['INVALID_DEVARGS', 'framecnt']);
    expect([memif!.code, memif!.key]).toEqual(['INVALID_DEVARGS', 'rsize']);
  });

  it('takes the budget from Eal.init({ devargsBudgetMb }), and names it in the error', async () => {
    const calls: Call[] = [
      ['attach', 'net_af_packet0,iface=lo,framecnt=1024'],
      ['attach', 'net_af_packet1,iface=lo,framecnt=512'],
      ['close', 0],
      ['detach', 0],
    ];
    // 2 rings × 1 qpair × 1024 frames × 2048 bytes = 4 MiB, over 3; the default device's 2 MiB is not.
    const [over, under] = await runs(calls, { devargsBudgetMb: 3 });
    expect([over!.code, over!.key]).toEqual(['INVALID_DEVARGS', 'framecnt']);
    expect(over!.message).toContain(
      "net_af_packet0: af_packet's rings are kernel memory: 2 rings × 1 qpairs × 1024 frames × 2048 bytes = 4 MiB, over the budget of 3 MiB a device may ask (Eal.init's devargsBudgetMb)",
    );
    expect(under!.value).toBe(0);
    // The default budget (256 MiB) named as such; a larger one lets the 1 GiB device through the check.
    const gib = 'net_af_packet0,iface=lo,framecnt=131072,qpairs=2';
    expect(errorOf(() => parseDevargs(gib))?.message).toContain(
      "= 1 GiB, over the budget of 256 MiB a device may ask (Eal.init's devargsBudgetMb, default 256)",
    );
    expect(errorOf(() => parseDevargs(gib, { devargsBudgetMb: 1024 }))).toBeUndefined();
    // A failsafe's sub-device is held to it too, named.
    const sub = errorOf(() => parseDevargs('net_failsafe0,dev(net_memif3,rsize=14,bsize=65535,socket=@y)'));
    expect([sub?.code, sub?.key]).toEqual(['INVALID_DEVARGS', 'rsize']);
    expect(sub?.message).toContain(
      "net_memif3: memif's region: 2 rings × 2^14 buffers × 65535 bytes = 2 GiB",
    );
  });
});
