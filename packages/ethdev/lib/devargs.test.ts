import { describe, expect, it } from 'vitest';
import { canonicalPciAddress, MAX_DEVICE_NAME, parseDevargs } from './devargs.js';
import { InvalidInputError, isHotplugError } from './errors.js';

describe('parseDevargs', () => {
  it.each([
    ['net_null0', 'vdev', 'net_null0', '', 'net_null0'],
    ['net_pcap0,iface=eth0', 'vdev', 'net_pcap0', 'iface=eth0', 'net_pcap0,iface=eth0'],
    ['eth_pcap0,iface=eth0', 'vdev', 'eth_pcap0', 'iface=eth0', 'eth_pcap0,iface=eth0'],
    ['0000:01:00.0', 'pci', '0000:01:00.0', '', '0000:01:00.0'],
    ['01:00.0', 'pci', '0000:01:00.0', '', '0000:01:00.0'],
    ['0000:AF:1F.7,rxq=2', 'pci', '0000:af:1f.7', 'rxq=2', '0000:af:1f.7,rxq=2'],
  ])('%s is a %s device named %s', (input, bus, name, args, devargs) => {
    expect(parseDevargs(input)).toEqual({ input, bus, name, args, devargs });
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
