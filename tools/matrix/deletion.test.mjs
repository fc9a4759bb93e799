// deletionRefusal on injected mount tables: the matrix never deletes a tree with anything mounted
// under it (seen from any namespace or chroot) or a process rooted in it. The tables are read by
// @dpdk-hotplug/linux's mount-table reader (its own tests: packages/linux/lib/mounts.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deletionRefusal } from './rootfs.mjs';

const MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,mode=755
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
90 27 0:50 / /var/cache/dpdk-hotplug/matrix/sid/rootfs/proc rw - proc proc rw
91 27 0:6 / /var/cache/dpdk-hotplug/matrix/sid/rootfs/dev rw - devtmpfs devtmpfs rw
92 27 0:60 / /var/cache/dpdk-hotplug/matrix/sid/rootfs-old/x rw - tmpfs tmpfs rw
93 27 0:61 / /tmp/with\\040space/dir rw - tmpfs tmpfs rw
`;

test('deleting a rootfs with /dev bound under it is refused, naming the mounts', () => {
  const why = deletionRefusal('/var/cache/dpdk-hotplug/matrix/sid/rootfs', { mountinfos: [MOUNTINFO] });
  assert.match(why, /refusing to delete .*sid\/rootfs: something is mounted under it/);
  assert.match(why, /sid\/rootfs\/dev/);
  assert.match(why, /sid\/rootfs\/proc/);
});

test('a mount seen in any namespace refuses; none anywhere allows', () => {
  const host = '27 1 254:0 / / rw - ext4 /dev/vda rw\n';
  const dir = '/var/cache/dpdk-hotplug/matrix/trixie/rootfs';
  assert.equal(deletionRefusal(dir, { mountinfos: [host] }), null);
  const child = `${host}95 27 0:6 / ${dir}/dev rw - devtmpfs devtmpfs rw\n`;
  assert.match(deletionRefusal(dir, { mountinfos: [host, child] }), /mounted under it/);
});

test('a chrooted process sees its mounts relative to its root: they are refused where they are', () => {
  const dir = '/var/cache/dpdk-hotplug/matrix/trixie/rootfs';
  const chrooted = {
    root: dir,
    text: '1 0 0:1 / / rw - ext4 /dev/vda rw\n2 1 0:6 / /dev rw - devtmpfs devtmpfs rw\n',
  };
  assert.match(
    deletionRefusal(`${dir}/dev`, { mountinfos: [chrooted] }),
    /mounted under it \(.*trixie\/rootfs\/dev\)/,
  );
  assert.match(deletionRefusal(dir, { mountinfos: [chrooted] }), /mounted under it/);
  assert.equal(deletionRefusal('/var/cache/other/dev', { mountinfos: [chrooted] }), null);
  // The same table read as if from / would have missed it: the mount point is /dev.
  assert.equal(deletionRefusal(`${dir}/dev`, { mountinfos: [chrooted.text] }), null);
});

test('a process with its root in the tree (a live chroot) refuses', () => {
  const dir = '/var/cache/dpdk-hotplug/matrix/trixie/rootfs';
  const why = deletionRefusal(dir, {
    mountinfos: [],
    roots: [
      { pid: 4242, root: dir },
      { pid: 1, root: '/' },
    ],
  });
  assert.match(why, /process 4242 has its root in it/);
});

test('/ and top-level directories are refused whatever is mounted', () => {
  assert.match(deletionRefusal('/', {}), /too close to \//);
  assert.match(deletionRefusal('/var', {}), /too close to \//);
});
