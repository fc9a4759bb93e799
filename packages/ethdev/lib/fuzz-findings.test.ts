/**
 * The fuzzer's findings (fuzz/known.ts) that the SDK now refuses or cleans up, each with the
 * input that showed it, on real DPDK: a clear error naming the key, or nothing left behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxQueuesPerPort } from './dpdk-config.js';
import { currentDpdk } from './dpdk-install.js';
import { Eal } from './eal.js';
import { type HotplugError, isHotplugError } from './errors.js';
import { maxMemoryMb } from './options.js';
import { Defer, errorOf, ip, isRoot, startEal, testEalOptions, uniqueIfName } from './test-support/env.js';
import { pcapFile } from './testing.js';
import { atLeast, bondingMemberKey } from './versions.js';

let eal: Eal;
let root: string;
const defer = new Defer();
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dphp-fuzz-findings-'));
  // An EAL flag the SDK has no typed option for still reaches DPDK.
  eal = startEal({ extraArgs: ['--no-telemetry'] });
});
afterAll(() => {
  defer.run();
  eal?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

function refused(devargs: string, key: string): HotplugError {
  const e = errorOf(() => eal.attachSync(devargs));
  expect(isHotplugError(e, 'INVALID_DEVARGS'), e?.message ?? 'attached').toBe(true);
  expect(e!.key).toBe(key);
  expect(eal.ports()).toEqual([]);
  return e!;
}

function attachAndDetach(devargs: string): number {
  const port = eal.attachSync(devargs);
  const queues = eal.port(port).maxRxQueues;
  eal.close(port);
  eal.detachSync(port);
  expect(eal.ports()).toEqual([]);
  return queues;
}

describe('devargs', () => {
  it('refuses a key given twice (net_ring crashes on a second nodeaction), naming it', () => {
    const e = refused('net_ring0,nodeaction=r0:0:CREATE,nodeaction=r0:0:CREATE', 'nodeaction');
    expect(e.message).toMatch(/"nodeaction" is given twice; net_ring takes it once/);
    refused('net_ring0,nodeaction=r0:0:CREATE,nodeaction=r1:0:ATTACH', 'nodeaction');
    refused('net_null0,size=64,size=64', 'size');
  });

  it("takes the keys a PMD reads once per occurrence: pcap's rx_pcap per queue, bonding's members", () => {
    const a = join(root, 'a.pcap');
    const b = join(root, 'b.pcap');
    pcapFile(a, []);
    pcapFile(b, []);
    const port = eal.attachSync(`net_pcap0,rx_pcap=${a},rx_pcap=${b}`);
    eal.configure(port, { rxQueues: 2, txQueues: 1 });
    eal.close(port);
    eal.detachSync(port);
    const member = bondingMemberKey(currentDpdk().version);
    attachAndDetach(`net_bonding0,mode=0,${member}=net_null8,${member}=net_null9`);
  });

  it('bounds a queue count by RTE_MAX_QUEUES_PER_PORT of the DPDK in use (af_packet qpairs=32768 blocked ~15 s)', () => {
    // Debian's rte_config.h is in include/<arch>/dpdk, a meson install's in include/.
    const { prefix } = currentDpdk();
    const config = [join(prefix, 'include', 'x86_64-linux-gnu', 'dpdk'), join(prefix, 'include')]
      .map((d) => join(d, 'rte_config.h'))
      .find((f) => existsSync(f));
    const header = readFileSync(config ?? join(prefix, 'include', 'rte_config.h'), 'utf8');
    const max = Number(/#define RTE_MAX_QUEUES_PER_PORT (\d+)/.exec(header)?.[1]);
    expect(maxQueuesPerPort()).toBe(max);
    for (const qpairs of ['32768', '65535', String(max + 1), '0', '0x10', '2x']) {
      const e = refused(`net_af_packet0,iface=lo,qpairs=${qpairs}`, 'qpairs');
      expect(e.message).toContain(`from 1 to ${max} (RTE_MAX_QUEUES_PER_PORT)`);
    }
    refused('net_vhost0,iface=/nonexistent/vhost.sock,queues=4096', 'queues');
    expect(attachAndDetach('net_af_packet0,iface=lo,qpairs=2')).toBe(2);
  });

  it('refuses a failsafe inside a failsafe (it left a port behind after detach)', () => {
    const e = refused('net_failsafe0,dev(net_failsafe1,dev(net_null2))', 'dev(...)');
    expect(e.message).toMatch(/a failsafe sub-device cannot be a failsafe/);
    attachAndDetach('net_failsafe0,dev(net_null2)');
  });

  it('removes what a failed attach probed: failsafe leaves no sub-device when it fails', () => {
    attachAndDetach('net_failsafe0,mac=02:00:00:00:00:09,dev(net_null1)');
    // DPDK 22.11's failsafe then fails without mac= ('Failed to set default MAC address'), and its
    // sub-device net_null1 used to stay probed, with a port.
    const e = errorOf(() => eal.attachSync('net_failsafe0,dev(net_null1)'));
    if (e) {
      expect(e.code).toBe('ATTACH_FAILED');
      expect(eal.ports()).toEqual([]);
      // The sub-device is gone: its name attaches again.
      attachAndDetach('net_null1');
    } else {
      // A DPDK whose failsafe does not fail there: nothing to undo.
      eal.close(eal.portsOf('net_failsafe0')[0]!);
      eal.detachDeviceSync('net_failsafe0');
    }
  });

  /**
   * The fuzzer's `pcap-phy-mac-socket-kept` (seed 1, input 187: phy_mac=4294967296), DPDK's own:
   * since 26.07 (commit df67cf00e2, "net/pcap: consolidate boolean flag handling") net_pcap takes
   * phy_mac 0 or 1 only, and a refusal after `iface` opened the interface releases nothing (its
   * queue is not counted yet), so the capture socket stays. 22.11 reads any value with atoi.
   */
  it.skipIf(!isRoot)(
    "net_pcap's phy_mac=2 on an iface: refused with its socket kept since 26.07 (DPDK's)",
    () => {
      const sockets = () =>
        readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
          } catch {
            return false; // closed meanwhile
          }
        }).length;
      const before = sockets();
      const e = errorOf(() => eal.attachSync('net_pcap0,iface=lo,phy_mac=2'));
      if (atLeast(currentDpdk().version, 26, 7)) {
        expect(e?.code).toBe('ATTACH_FAILED');
        expect(eal.ports()).toEqual([]);
        expect(sockets() - before).toBe(1);
      } else {
        expect(e).toBeUndefined();
        eal.close(eal.portsOf('net_pcap0')[0]!);
        eal.detachDeviceSync('net_pcap0');
        expect(sockets()).toBe(before);
      }
    },
  );

  it('refuses net_tap persist=<not 1> (persist=0 persisted too)', () => {
    const e = refused('net_tap0,persist=0', 'persist');
    expect(e.message).toMatch(/whatever the value \(persist=0 too\)/);
    refused('net_tap0,persist=no', 'persist');
  });

  it.skipIf(!isRoot)('keeps the tap interface after detach with persist=1, as documented', () => {
    const name = uniqueIfName('fzp');
    defer.add(() => ip('link', 'del', name));
    attachAndDetach(`net_tap0,iface=${name},persist=1`);
    expect(ip('-o', 'link', 'show', name)).toContain(name);
  });
});

describe('Eal.init options (refused before DPDK: the EAL of this file is already up)', () => {
  const initError = (extra: object) => errorOf(() => Eal.init(testEalOptions(extra)));

  it('bounds memoryMb by the memory of this machine (--no-huge -m 1000000 crashed DPDK)', () => {
    expect(maxMemoryMb()).toBe(Math.floor(totalmem() / 2 ** 20));
    for (const memoryMb of [1_048_576, maxMemoryMb() + 1]) {
      const e = initError({ memoryMb });
      expect(isHotplugError(e, 'INVALID_OPTION')).toBe(true);
      expect(e!.key).toBe('memoryMb');
      expect(e!.message).toContain(`from 1 to ${maxMemoryMb()}`);
    }
    // Within the bound, the check passes and the one-init rule answers.
    expect(initError({ memoryMb: 64 })?.code).toBe('EAL_ALREADY_INITIALIZED');
  });

  it.each([
    [['--help'], /prints its usage and ends the process/],
    [['-h'], /prints its usage and ends the process/],
    [['--vdev=net_ring9,nodeaction'], /give the vdevs option instead/],
    [['--vdev', 'net_null0'], /give the vdevs option instead/],
    [['--in-memory'], /give the inMemory option instead/],
    [['-m', '64'], /give the memoryMb option instead/],
    [['--file-prefix=rte'], /give the filePrefix option instead/],
    [['--log-level=8'], /give the logLevel option for the global level/],
    [['--in-mem'], /write it in full \(--in-memory\)/],
    [['--no-such-eal-flag'], /not an EAL flag of DPDK 22.11/],
    [['--no-telemetry', 'stray'], /item 1 .* is not an EAL flag/],
    [['-n'], /-n needs a value/],
  ])('refuses extraArgs %j naming what to use', (extraArgs, why) => {
    const e = initError({ extraArgs });
    expect(isHotplugError(e, 'INVALID_OPTION'), e?.message).toBe(true);
    expect(e!.key).toBe('extraArgs');
    expect(e!.message).toMatch(why);
  });

  it('passes the EAL flags it has no typed option for', () => {
    for (const extraArgs of [
      ['--no-telemetry'],
      ['-n', '4', '--huge-unlink=never'],
      ['--log-level=pmd.net.ring:debug'],
      ['--log-level', 'lib.eal:8'],
    ]) {
      expect(initError({ extraArgs })?.code, JSON.stringify(extraArgs)).toBe('EAL_ALREADY_INITIALIZED');
    }
    expect(eal.args).toContain('--no-telemetry');
  });

  it("takes a later release's flag only on that release (--log-timestamp: 24.11)", () => {
    const e = initError({ extraArgs: ['--log-timestamp'] });
    if (atLeast(currentDpdk().version, 24, 11)) expect(e?.code).toBe('EAL_ALREADY_INITIALIZED');
    else expect(e?.message).toMatch(/it came in DPDK 24\.11/);
  });
});
