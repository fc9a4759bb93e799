import { describe, expect, it } from 'vitest';
import { createHost } from './host.js';
import {
  addNetns,
  addVethPair,
  deleteLink,
  deleteNetns,
  linkExists,
  netnsExists,
  rxPackets,
  setLinkDown,
  setLinkUp,
  setVf,
} from './netdev.js';
import { fakeMachines } from './test-support/machines.js';

const make = fakeMachines();

describe('network interfaces and namespaces on a fake machine', () => {
  /**
   * Steps: a namespace, a veth pair with one end in it, both ends up, packets received at each
   * end, then the namespace and the host end deleted. Verify: each step's iproute2 command; the
   * interface and namespace appear and go; each end's counter; deleting what is gone is null.
   */
  it('makes a veth pair into a namespace, counts its packets and gives it back', async () => {
    const m = make();
    expect(await addNetns(m.host, 'dphp-1')).toEqual(['ip', 'netns', 'add', 'dphp-1']);
    expect(await netnsExists(m.host, 'dphp-1')).toBe(true);
    expect(await addVethPair(m.host, 'dhv1', 'dhp1', { peerNetns: 'dphp-1' })).toEqual(
      'ip link add dhv1 type veth peer name dhp1 netns dphp-1'.split(' '),
    );
    expect(await linkExists(m.host, 'dhv1')).toBe(true);
    expect(await linkExists(m.host, 'dhp1')).toBe(false); // in the namespace, not the host's
    expect(await setLinkUp(m.host, 'dhv1')).toEqual(['ip', 'link', 'set', 'dhv1', 'up']);
    expect(await setLinkUp(m.host, 'dhv1', { promisc: true })).toEqual(
      'ip link set dhv1 up promisc on'.split(' '),
    );
    expect(m.read('class/net/dhv1/operstate')).toBe('up\n');
    expect(await setLinkDown(m.host, 'dhv1')).toEqual(['ip', 'link', 'set', 'dhv1', 'down']);
    expect(m.read('class/net/dhv1/operstate')).toBe('down\n');
    await setLinkUp(m.host, 'dhv1');
    expect(await setLinkUp(m.host, 'dhp1', { netns: 'dphp-1' })).toEqual(
      'ip -n dphp-1 link set dhp1 up'.split(' '),
    );
    m.receive('dhp1', 4, 'dphp-1');
    m.receive('dhv1', 2);
    expect(await rxPackets(m.host, 'dhp1', { netns: 'dphp-1' })).toBe(4);
    expect(await rxPackets(m.host, 'dhv1')).toBe(2);

    expect(await deleteLink(m.host, 'dhv1')).toEqual(['ip', 'link', 'del', 'dhv1']);
    expect(m.netnsLinks('dphp-1')).toEqual([]); // the peer went with it
    expect(await deleteLink(m.host, 'dhv1')).toBeNull();
    expect(await deleteNetns(m.host, 'dphp-1')).toEqual(['ip', 'netns', 'del', 'dphp-1']);
    expect(await netnsExists(m.host, 'dphp-1')).toBe(false);
    expect(await deleteNetns(m.host, 'dphp-1')).toBeNull();
  });

  /** Steps: the same actions as a dry run. Verify: the commands come back, nothing is made or run. */
  it('plans without running on a dry run', async () => {
    const m = make();
    expect(await addNetns(m.host, 'n1', { dryRun: true })).toEqual(['ip', 'netns', 'add', 'n1']);
    expect(await addVethPair(m.host, 'a1', 'b1', { dryRun: true })).toEqual(
      'ip link add a1 type veth peer name b1'.split(' '),
    );
    expect(await setVf(m.host, 'enp1s0', 1, 'spoofchk', false, { dryRun: true })).toEqual(
      'ip link set enp1s0 vf 1 spoofchk off'.split(' '),
    );
    await expect(setVf(m.host, 'enp1s0', -1, 'trust', true)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await netnsExists(m.host, 'n1')).toBe(false);
    expect(await linkExists(m.host, 'a1')).toBe(false);
    expect(m.commands).toEqual([]);
  });

  /**
   * Steps: an interface made twice; a namespace refused by the kernel for a user who is not
   * root and for root; an interface that is not there brought up; bad names.
   * Verify: NETDEV_FAILED with the interface's or namespace's path, the errno iproute2 reported
   * and a hint for that errno; INVALID_ARGUMENT before anything runs for a bad name.
   */
  it('fails with the path, the errno and a hint', async () => {
    const m = make();
    await addVethPair(m.host, 'a1', 'b1');
    await expect(addVethPair(m.host, 'a1', 'b2')).rejects.toMatchObject({
      code: 'NETDEV_FAILED',
      path: m.host.sys('class/net', 'a1'),
      errno: 'EEXIST',
      hint: expect.stringContaining('exists already'),
    });
    m.failCommands(/^ip netns add/, 'mount --make-shared /run/netns failed: Operation not permitted', 2);
    await expect(addNetns({ ...m.host, uid: 1000 }, 'n1')).rejects.toMatchObject({
      code: 'NETDEV_FAILED',
      path: `${m.netnsDir}/n1`,
      errno: 'EPERM',
      hint: 'run as root',
    });
    await expect(addNetns({ ...m.host, uid: 0 }, 'n1')).rejects.toMatchObject({
      errno: 'EPERM',
      hint: expect.stringContaining('denied to root too'),
    });
    await expect(setLinkUp(m.host, 'nope0')).rejects.toMatchObject({
      errno: 'ENODEV',
      hint: expect.stringContaining('is not there'),
    });
    await expect(rxPackets(m.host, 'nope0')).rejects.toMatchObject({
      code: 'NETDEV_FAILED',
      errno: 'ENOENT',
    });
    await addNetns(m.host, 'n2');
    await expect(rxPackets(m.host, 'nope0', { netns: 'n2' })).rejects.toMatchObject({
      code: 'NETDEV_FAILED',
      errno: 'ENODEV',
      path: `${m.netnsDir}/n2: nope0`,
    });
    const before = m.commands.length;
    for (const bad of ['', 'a/b', 'sixteen-chars-xx', '..', 'has space'])
      await expect(addVethPair(m.host, bad, 'b9')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(addNetns(m.host, '../etc')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(m.commands.length).toBe(before);
  });
});

describe.skipIf(process.getuid?.() !== 0)('network interfaces and namespaces on this machine', () => {
  /**
   * Steps: the fake's scenario on the real kernel, with names of this test's own: a namespace, a
   * veth pair into it, both ends up, then the pair made again, then everything deleted.
   * Verify: what the fake simulates is what iproute2 and the kernel do (the interface in sysfs,
   * the peer only in the namespace, counters readable, EEXIST for the second pair, gone after).
   */
  it('behaves as the fake says', async () => {
    const host = createHost();
    const tag = process.pid % 100000;
    const [ns, name, peer] = [`dphp-nd${tag}`, `dhn${tag}`, `dhm${tag}`];
    try {
      await addNetns(host, ns);
      await addVethPair(host, name, peer, { peerNetns: ns });
      expect(await linkExists(host, name)).toBe(true);
      expect(await linkExists(host, peer)).toBe(false);
      await setLinkUp(host, name);
      await setLinkDown(host, name);
      await setLinkUp(host, name);
      await setLinkUp(host, peer, { netns: ns });
      expect(await rxPackets(host, name)).toBeGreaterThanOrEqual(0);
      expect(await rxPackets(host, peer, { netns: ns })).toBeGreaterThanOrEqual(0);
      await expect(addVethPair(host, name, `${peer}x`)).rejects.toMatchObject({
        code: 'NETDEV_FAILED',
        errno: 'EEXIST',
      });
      await expect(setLinkUp(host, `${name}x`)).rejects.toMatchObject({ errno: 'ENODEV' });
    } finally {
      await deleteLink(host, name);
      await deleteNetns(host, ns);
    }
    expect(await linkExists(host, name)).toBe(false);
    expect(await netnsExists(host, ns)).toBe(false);
  });
});
