import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalPciAddress, MAX_DEVICE_NAME, parseDevargs, splitDevargs } from './devargs.js';
import { InvalidInputError, isHotplugError } from './errors.js';
import { kvargsPairs } from './pmd-args.js';
import { errorOf } from './test-support/env.js';

describe('parseDevargs', () => {
  it.each([
    ['net_null0', 'vdev', 'net_null0', '', 'net_null0'],
    ['net_pcap0,iface=eth0', 'vdev', 'net_pcap0', 'iface=eth0', 'net_pcap0,iface=eth0'],
    ['eth_pcap0,iface=eth0', 'vdev', 'eth_pcap0', 'iface=eth0', 'eth_pcap0,iface=eth0'],
    ['0000:01:00.0', 'pci', '0000:01:00.0', '', '0000:01:00.0'],
    ['01:00.0', 'pci', '0000:01:00.0', '', '0000:01:00.0'],
    ['0000:AF:1F.7,rxq=2', 'pci', '0000:af:1f.7', 'rxq=2', '0000:af:1f.7,rxq=2'],
  ])('%s is a %s device named %s', (input, bus, name, args, devargs) => {
    expect(parseDevargs(input)).toEqual({
      input,
      bus,
      name,
      args,
      devargs,
      shellCommands: [],
      files: [],
      subDevices: [],
      ringAsks: [],
    });
  });

  it.each([
    'net_null0',
    'eth_pcap0,iface=eth0',
    '0000:01:00.0',
    '0000:AF:1F.7,rxq=2',
    'net_failsafe0,dev(net_null1,size=64),mac=de:ad:be:ef:00:01',
  ])('splitDevargs splits %s where parseDevargs does, with the name as given', (input) => {
    const parsed = parseDevargs(input);
    const split = splitDevargs(input);
    expect(split).toEqual({
      bus: parsed.bus,
      name: split.name,
      args: parsed.args,
      devargs: input,
      subDevices: parsed.subDevices.map(({ name, args }) => ({ name, args })),
    });
    expect(canonicalPciAddress(split.name) ?? split.name).toBe(parsed.name);
  });

  it('splitDevargs checks nothing: what parseDevargs refuses is split all the same', () => {
    expect(splitDevargs(',x=1')).toEqual({
      bus: 'vdev',
      name: '',
      args: 'x=1',
      devargs: ',x=1',
      subDevices: [],
    });
    // Failsafe's sub-devices, an fd(...) and an unclosed dev( among them: what its parser reads.
    expect(splitDevargs('net_failsafe0,fd(3),dev(net_pcap1,iface=lo),dev(net_null2').subDevices).toEqual([
      { name: 'net_pcap1', args: 'iface=lo' },
    ]);
    expect(splitDevargs('0000:zz:00.0,a=1')).toMatchObject({ bus: 'vdev', name: '0000:zz:00.0' });
  });

  it.each([
    ['', 'INVALID_DEVARGS', /empty/],
    ['   ', 'INVALID_DEVARGS', /empty/],
    [' net_null0', 'INVALID_DEVARGS', /white space/],
    ['net null0', 'INVALID_DEVARGS', /white space/],
    ['net_null0\u0000x', 'INVALID_DEVARGS', /control/],
    [',iface=eth0', 'INVALID_DEVARGS', /name before the first comma is empty/],
    ['garbage!!', 'INVALID_DEVARGS', /neither a PCI address nor a vdev name/],
    ['0000:zz:00.0', 'INVALID_PCI_ADDRESS', /not a PCI address/],
    ['0000:01:20.0', 'INVALID_PCI_ADDRESS', /not a PCI address/],
    ['0000:01:00.8', 'INVALID_PCI_ADDRESS', /not a PCI address/],
    ['00000:01:00.0', 'INVALID_PCI_ADDRESS', /not a PCI address/],
    [`net_${'x'.repeat(MAX_DEVICE_NAME)}`, 'INVALID_DEVARGS', /characters long; DPDK allows 63/],
    [`net_null0,${'a=b,'.repeat(2000)}`, 'INVALID_DEVARGS', /over 4096/],
  ])('rejects %j with %s', (input, code, message) => {
    const run = () => parseDevargs(input);
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (e) {
      expect(isHotplugError(e, code as 'INVALID_DEVARGS')).toBe(true);
      expect((e as InvalidInputError).devargs).toBe(input);
    }
  });

  it.each([undefined, null, 42, ['net_null0'], {}])('rejects a %j that is not a string', (input) => {
    expect(() => parseDevargs(input)).toThrow(/devargs must be a string/);
  });

  it('keeps a long message readable by cutting the echoed input', () => {
    expect(() => parseDevargs(`bad!${'y'.repeat(500)}`)).toThrow(/\.\.\."/);
  });
});

describe('canonicalPciAddress', () => {
  it('adds the domain and lower-cases', () => {
    expect(canonicalPciAddress('3B:00.1')).toBe('0000:3b:00.1');
    expect(canonicalPciAddress('1:2:3.4')).toBe('0001:02:03.4');
  });
  it('refuses out-of-range device and function numbers', () => {
    expect(canonicalPciAddress('00:20.0')).toBeUndefined();
    expect(canonicalPciAddress('00:1f.8')).toBeUndefined();
  });
});

describe('parseDevargs refuses what would crash, hang or misuse the process', () => {
  const refused = (input: string, key: string, message: RegExp, policy = {}) => {
    const e = errorOf(() => parseDevargs(input, policy));
    expect(isHotplugError(e, 'INVALID_DEVARGS'), `${input}: ${e?.message}`).toBe(true);
    expect(e!.key).toBe(key);
    expect(e!.message).toMatch(message);
  };

  it.each([
    ['net_ring0,nodeaction', 'nodeaction'],
    ['eth_ring0,nodeaction', 'nodeaction'],
    ['net_memif0,socket', 'socket'],
    ['net_pcap0,iface', 'iface'],
    ['net_null0,size=64,copy', 'copy'],
    ['0000:01:00.0,rxq', 'rxq'],
    ['net_ring0,exec(touch x)', 'exec(touch x)'],
    ['net_failsafe0,dev(net_ring0,nodeaction)', 'nodeaction'],
    ['net_failsafe0,dev(net_null0),mac', 'mac'],
  ])('%s: a key without a value', (input, key) => {
    refused(input, key, /has no value: DPDK 22.11 passes the PMD a NULL value/);
  });

  it('splits arguments as rte_kvargs does: commas inside [...] belong to the value', () => {
    expect(kvargsPairs('a=[1,2],b=x,,c')).toEqual([
      ['a', '[1,2]'],
      ['b', 'x'],
      ['c', undefined],
    ]);
    expect(kvargsPairs('k=v=w')).toEqual([['v', 'w']]);
    expect(() => parseDevargs('net_null0,k=[a,b]')).not.toThrow();
  });

  it('reads failsafe sub-devices depth-aware, and checks them as devices', () => {
    expect(() =>
      parseDevargs('net_failsafe0,dev(net_null0,size=64),dev(0000:01:00.0),hotplug_poll=100'),
    ).not.toThrow();
    refused('net_failsafe0,dev(net_ring0,internal=0x1)', 'internal', /C pointer/);
    refused('net_failsafe0,dev(net_failsafe1,dev(net_null2))', 'dev(...)', /cannot be a failsafe/);
    refused('net_failsafe0,dev(eth_null0,size=64,size=64)', 'size', /"size" is given twice/);
    refused('net_failsafe0,dev(net_null0', 'dev(...)', /no closing parenthesis/);
    refused('net_failsafe0,foo(net_null0)', 'foo(...)', /not foo\(\.\.\.\)/);
    refused('net_failsafe0,dev(net_null0)x', 'dev(...)', /a "," must follow/);
    refused('net_failsafe0,fd(0)', 'fd(...)', /descriptors/);
    expect(() => parseDevargs('net_failsafe0,dev(bad name!)')).toThrow(/sub-device "bad name!"/);
  });

  it('refuses exec(...) unless shell commands are allowed, also nested', () => {
    refused(
      'net_failsafe0,exec(echo net_null7)',
      'exec(...)',
      /runs the shell command "echo net_null7".*allowShellCommandsInDevargs/,
    );
    refused('net_failsafe0,dev(net_null0),exec(echo net_null7)', 'exec(...)', /shell command/);
    const d = parseDevargs('net_failsafe0,exec(echo,net_null7)', { allowShellCommands: true });
    expect(d.shellCommands).toEqual(['echo net_null7']);
  });

  it('refuses a key given twice, but for the keys a PMD reads per occurrence (REPEATABLE_KEYS)', () => {
    refused('net_ring0,nodeaction=a:0:CREATE,nodeaction=b:0:CREATE', 'nodeaction', /given twice; net_ring/);
    refused('0000:01:00.0,rxq=1,rxq=2', 'rxq', /given twice; this PMD takes it once/);
    refused('net_pcap0,iface=lo,iface=lo', 'iface', /given twice/);
    refused('net_bonding0,mode=0,mode=1', 'mode', /given twice/);
    refused('net_failsafe0,dev(net_null0),mac=02:00:00:00:00:01,mac=02:00:00:00:00:02', 'mac', /twice/);
    // vdev_netvsc counts iface and mac together and probes nothing for more than one.
    refused('net_vdev_netvsc0,iface=a,iface=b', 'iface', /given twice/);
    for (const ok of [
      'net_pcap0,rx_pcap=/nonexistent/a.pcap,rx_pcap=/nonexistent/b.pcap,tx_iface=lo,tx_iface=lo',
      'eth_bond0,mode=0,slave=net_null1,slave=net_null2',
      'net_bonding0,mode=0,member=net_null1,member=net_null2',
      'net_mvpp2,iface=eth0,iface=eth1',
      'net_af_xdp0,iface=lo,mode=a,mode=b',
      'net_failsafe0,dev(net_null0),dev(net_null1)',
    ])
      expect(() => parseDevargs(ok), ok).not.toThrow();
  });

  it('bounds queue counts, and net_tap persist to persist=1', () => {
    refused('eth_af_packet0,iface=lo,qpairs=1025', 'qpairs', /from 1 to \d+ \(RTE_MAX_QUEUES_PER_PORT\)/);
    refused('net_virtio_user0,path=/x,queues=0', 'queues', /decimal integer/);
    refused('eth_tap0,persist=0', 'persist', /persist=0 too/);
    expect(() => parseDevargs('net_tap0,persist=1')).not.toThrow();
    expect(() => parseDevargs('net_af_packet0,iface=lo,qpairs=16')).not.toThrow();
  });

  it('refuses the argument values in HAZARDOUS_DEVARGS', () => {
    refused('net_ring0,internal=0x1', 'internal', /read as a C pointer/);
    refused('virtio_user0,path=/x,server=1', 'server', /blocks in accept\(\)/);
    expect(() => parseDevargs('net_virtio_user0,path=/x,server=0')).not.toThrow();
    refused('eth_null0,size=2049', 'size', /must fit an mbuf's 2048 bytes/);
    refused('net_null0,copy=1,size=0x10000', 'size', /must fit/);
    refused('net_null0,size=64k', 'size', /must fit/);
    expect(() => parseDevargs('net_null0,copy=1,size=2048')).not.toThrow();
    refused('net_pcap0,rx_pcap=-', 'rx_pcap', /standard input/);
    refused('eth_pcap0,tx_pcap=-', 'tx_pcap', /standard output/);
  });

  describe('pcap files', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'dphp-devargs-'));
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      writeFileSync(join(dir, 'old.pcap'), 'precious');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses a FIFO, a device or a folder, for reading or writing', () => {
      refused(`net_pcap0,rx_pcap=${dir}/fifo`, 'rx_pcap', /not a regular file: a FIFO or device would block/);
      refused('net_pcap0,rx_pcap=/dev/stdin', 'rx_pcap', /not a regular file/);
      refused(`net_pcap0,tx_pcap=${dir}`, 'tx_pcap', /not a regular file/);
      refused(`net_failsafe0,dev(net_pcap1,tx_pcap=${dir}/fifo)`, 'tx_pcap', /not a regular file/);
    });

    it('refuses to truncate an existing file unless asked, or unless this process made it', () => {
      const old = join(dir, 'old.pcap');
      refused(
        `net_pcap0,tx_pcap=${old}`,
        'tx_pcap',
        /exists and the PMD would truncate it; pass overwriteFiles/,
      );
      expect(() => parseDevargs(`net_pcap0,tx_pcap=${old}`, { overwriteFiles: true })).not.toThrow();
      expect(() => parseDevargs(`net_pcap0,tx_pcap=${old}`, { ownFiles: new Set([old]) })).not.toThrow();
      // Checked at each call, also when the parse is remembered.
      const fresh = join(dir, 'new.pcap');
      expect(parseDevargs(`net_pcap0,tx_pcap=${fresh}`).files).toEqual([
        { key: 'tx_pcap', path: fresh, access: 'write' },
      ]);
      writeFileSync(fresh, 'x');
      refused(`net_pcap0,tx_pcap=${fresh}`, 'tx_pcap', /would truncate/);
      expect(() => parseDevargs(`net_pcap0,rx_pcap=${old},tx_pcap=${dir}/out.pcap`)).not.toThrow();
    });
  });
});
