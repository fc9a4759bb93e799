import { describe, expect, it } from 'vitest';
import { hugepages, mountHugetlbfs, unmountHugetlbfs } from './hugepages.js';
import { isUnder, mounts, mountsUnder, parseMountinfo, parseMounts } from './mounts.js';
import { fakeMachines } from './test-support/machines.js';

const make = fakeMachines();

const MOUNTINFO = [
  '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '90 22 0:50 / /var/cache/m/sid/rootfs/proc rw,nosuid - proc proc rw',
  '91 22 0:51 / /var/cache/m/sid/rootfs/dev\\040x rw - devtmpfs udev rw,size=1k',
  '92 22 0:52 / /mnt/huge rw - hugetlbfs nodev rw,pagesize=2M',
].join('\n');

describe('the mount table', () => {
  it('reads /proc/mounts and mountinfo alike, escapes undone', () => {
    expect(parseMounts('nodev /mnt/a\\040b hugetlbfs rw,pagesize=1G 0 0\n/dev/vda1 / ext4 rw 0 0\n')).toEqual(
      [
        { source: 'nodev', target: '/mnt/a b', type: 'hugetlbfs', options: 'rw,pagesize=1G' },
        { source: '/dev/vda1', target: '/', type: 'ext4', options: 'rw' },
      ],
    );
    const info = parseMountinfo(MOUNTINFO);
    expect(info.map((m) => [m.target, m.type, m.source])).toEqual([
      ['/', 'ext4', '/dev/vda1'],
      ['/var/cache/m/sid/rootfs/proc', 'proc', 'proc'],
      ['/var/cache/m/sid/rootfs/dev x', 'devtmpfs', 'udev'],
      ['/mnt/huge', 'hugetlbfs', 'nodev'],
    ]);
    expect(info[3]!.options).toContain('pagesize=2M');
  });

  it('finds the mounts under a folder, from the host or a chroot', () => {
    expect(isUnder('/a/b', '/a/b')).toBe(true);
    expect(isUnder('/a/b/c', '/a/b/')).toBe(true);
    expect(isUnder('/a/bc', '/a/b')).toBe(false);
    const info = parseMountinfo(MOUNTINFO);
    expect(mountsUnder(info, '/var/cache/m/sid/rootfs').map((m) => m.target)).toEqual([
      '/var/cache/m/sid/rootfs/proc',
      '/var/cache/m/sid/rootfs/dev x',
    ]);
    // Read through a process chrooted in /srv/root: its /mnt/huge is the host's /srv/root/mnt/huge.
    expect(mountsUnder(info, '/srv/root/mnt', '/srv/root').map((m) => m.target)).toEqual([
      '/srv/root/mnt/huge',
    ]);
  });

  /**
   * Steps: hugetlbfs mounted and unmounted on a fake machine (its mount and umount simulated).
   * Verify: the host's table, and hugepages(), show it and then do not; unmounting it again is
   * refused (nothing else is ever unmounted).
   */
  it('is what hugepages and the hugetlbfs mount and unmount act on', async () => {
    const m = make();
    const dir = `${m.root}/huge`;
    await mountHugetlbfs(m.host, dir, { pageSizeKb: 2048 });
    expect((await mounts(m.host)).find((e) => e.target === dir)).toMatchObject({ type: 'hugetlbfs' });
    expect((await hugepages(m.host)).mounts).toEqual([{ target: dir, pageSizeKb: 2048 }]);
    await unmountHugetlbfs(m.host, dir);
    expect((await mounts(m.host)).some((e) => e.target === dir)).toBe(false);
    await expect(unmountHugetlbfs(m.host, dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
