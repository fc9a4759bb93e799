import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { UeventMonitor } from './uevents.js';

const canTap =
  process.getuid?.() === 0 &&
  existsSync('/dev/net/tun') &&
  (existsSync('/usr/bin/udevadm') || existsSync('/bin/udevadm'));
const ifname = `dhue${process.pid % 10000}`;
const monitors: UeventMonitor[] = [];

afterEach(() => {
  for (const m of monitors.splice(0)) m.close();
  if (existsSync(`/sys/class/net/${ifname}`)) execFileSync('ip', ['link', 'del', ifname]);
});

describe.skipIf(!canTap)('kernel uevents (a tap interface the test makes)', () => {
  /**
   * Steps: start a monitor for the net subsystem; create a tap interface, then delete it.
   * Verify: an add and a remove event arrive for it, typed, with its name and a sequence number;
   * events of other subsystems are filtered out.
   */
  it('streams add and remove events', async () => {
    const monitor = new UeventMonitor({ subsystems: ['net'] });
    monitors.push(monitor);
    await monitor.ready;
    const seen: string[] = [];
    monitor.on('uevent', (e) => seen.push(e.subsystem));
    const added = monitor.next((e) => e.interface === ifname && e.action === 'add', 5000);
    execFileSync('ip', ['tuntap', 'add', 'dev', ifname, 'mode', 'tap']);
    const add = await added;
    expect(add).toMatchObject({
      action: 'add',
      subsystem: 'net',
      interface: ifname,
      devpath: `/devices/virtual/net/${ifname}`,
    });
    expect(add.seqnum).toBeGreaterThan(0);
    const removed = monitor.next((e) => e.interface === ifname && e.action === 'remove', 5000);
    execFileSync('ip', ['link', 'del', ifname]);
    expect((await removed).seqnum).toBeGreaterThan(add.seqnum);
    expect(new Set(seen)).toEqual(new Set(['net']));
  });

  /**
   * Steps: iterate the monitor with for-await while an interface is made; close it.
   * Verify: the loop gets the event and ends when the monitor closes.
   */
  it('is an async iterable that ends on close', async () => {
    const monitor = new UeventMonitor({ subsystems: ['net'] });
    monitors.push(monitor);
    await monitor.ready;
    const loop = (async () => {
      const got: string[] = [];
      for await (const e of monitor) {
        got.push(`${e.action} ${e.interface}`);
        if (e.interface === ifname) monitor.close();
      }
      return got;
    })();
    execFileSync('ip', ['tuntap', 'add', 'dev', ifname, 'mode', 'tap']);
    expect(await loop).toContain(`add ${ifname}`);
  });

  it('fails with a typed error when udevadm is missing', async () => {
    const monitor = new UeventMonitor({ udevadm: '/nonexistent/udevadm' });
    monitors.push(monitor);
    await expect(monitor.ready).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
  });
});
