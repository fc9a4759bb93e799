// removeTree on real mounts: a tmpfs mounted inside a temporary "rootfs", only in a private mount
// namespace (unshare -m), as a matrix run mounts /dev there. Needs root and unshare; skipped otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { shq } from './lib.mjs';
import { allMountinfos, lockRelease, removeTree } from './rootfs.mjs';

const canUnshare =
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0;
// removeTree runs on the host, never inside a release's chroot (where the matrix sets
// DPDK_HOTPLUG_MATRIX_CHROOT): there, another namespace's root reads as a host path and pid 1's
// root cannot be read, so these host-side tests are skipped.
const chrooted = Boolean(process.env.DPDK_HOTPLUG_MATRIX_CHROOT);
const skip = chrooted
  ? 'runs on the host only (inside a chroot)'
  : canUnshare
    ? false
    : 'needs root and a working unshare -m';
const base = mkdtempSync(join(tmpdir(), 'dphp-matrix-'));
const started = [];

after(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  // Nothing was ever mounted in the host's namespace; the namespaces died with their processes.
  rmSync(base, { recursive: true, force: true });
});

/** A fake rootfs with a dev/ directory and a marker file that must survive. */
function fakeRoot(name) {
  const root = join(base, name);
  mkdirSync(join(root, 'dev'), { recursive: true });
  writeFileSync(join(root, 'etc-file'), 'x');
  return root;
}

const removeScript = (root) =>
  `import { removeTree } from ${JSON.stringify(new URL('./rootfs.mjs', import.meta.url).href)};
try { removeTree(${JSON.stringify(root)}); console.log('REMOVED'); } catch (e) { console.log('REFUSED ' + e.message); }`;

test(
  'inside the namespace: a tmpfs on <rootfs>/dev makes removeTree refuse, and its files survive',
  { skip },
  () => {
    const root = fakeRoot('inside');
    const script = [
      `mount -t tmpfs tmpfs ${shq(`${root}/dev`)}`,
      `echo device > ${shq(`${root}/dev/null-like`)}`,
      `${shq(process.execPath)} --input-type=module -e ${shq(removeScript(root))}`,
      `cat ${shq(`${root}/dev/null-like`)}`,
    ].join(' && ');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /REFUSED refusing to delete .*inside: something is mounted under it \(.*inside\/dev\)/,
    );
    assert.match(r.stdout, /device\n$/, 'the file in the mounted tmpfs is still there');
    assert.ok(existsSync(join(root, 'etc-file')), 'nothing of the tree was deleted');
  },
);

test(
  'from the host: a mount that only another namespace has still makes removeTree refuse',
  { skip },
  async () => {
    const root = fakeRoot('other-ns');
    const ready = join(base, 'other-ns.ready');
    const child = spawn('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs tmpfs ${shq(`${root}/dev`)} && touch ${shq(ready)} && exec sleep 60`,
    ]);
    started.push(child);
    for (let i = 0; i < 100 && !existsSync(ready); i++) await sleep(50);
    assert.ok(existsSync(ready), 'the namespace mounted its tmpfs');
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(`${root}/dev`), 'not in our namespace');
    assert.ok(
      allMountinfos().some((t) => t.text.includes(`${root}/dev`)),
      'seen through the other process',
    );
    assert.throws(() => removeTree(root), /something is mounted under it/);
    assert.ok(existsSync(join(root, 'etc-file')));
    child.kill('SIGKILL');
    await new Promise((done) => child.once('close', done));
    removeTree(root);
    assert.ok(!existsSync(root), 'deleted once the namespace is gone');
  },
);

/** A static busybox (the virtual lab's), to run something chrooted in a fake root. */
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find(
  (b) =>
    existsSync(b) &&
    /statically linked|not a dynamic executable/.test(
      spawnSync('sh', ['-c', `file -L ${b} 2>/dev/null; ldd ${b} 2>&1`], { encoding: 'utf8' }).stdout,
    ),
);

test(
  'from the host: the mounts of a run chrooted in its private namespace refuse, for the tree and under it',
  { skip: skip || (busybox ? false : 'needs a static busybox to chroot into') },
  async () => {
    // As a matrix run: unshare -m, mount on <root>/dev, then chroot. Every process of that
    // namespace has its root in <root>, so its mount table says /dev, not <root>/dev.
    const root = fakeRoot('chrooted');
    copyFileSync(busybox, join(root, 'busybox'));
    chmodSync(join(root, 'busybox'), 0o755);
    const child = spawn('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs tmpfs ${shq(`${root}/dev`)} && exec chroot ${shq(root)} /busybox sleep 60`,
    ]);
    started.push(child);
    const chrooted = () => {
      try {
        return readlinkSync(`/proc/${child.pid}/root`) === root;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && !chrooted(); i++) await sleep(50);
    assert.ok(chrooted(), 'the run is chrooted');
    assert.throws(() => removeTree(join(root, 'dev')), /something is mounted under it \(.*chrooted\/dev\)/);
    assert.throws(() => removeTree(root), /something is mounted under it/);
    assert.ok(existsSync(join(root, 'dev')) && existsSync(join(root, 'etc-file')));
    child.kill('SIGKILL');
    await new Promise((done) => child.once('close', done));
    removeTree(root);
    assert.ok(!existsSync(root));
  },
);

test(
  'a tree with nothing mounted in any namespace is deleted',
  { skip: process.getuid?.() === 0 ? false : 'needs root to read every mount table' },
  () => {
    const root = fakeRoot('plain');
    removeTree(root);
    assert.ok(!existsSync(root));
  },
);

test('a release lock held by a live process refuses; a dead owner is taken over', () => {
  const dir = join(base, 'lock');
  const release = lockRelease(dir);
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), String(process.pid));
  release();
  assert.ok(!existsSync(join(dir, 'lock')));
  writeFileSync(join(dir, 'lock'), '1'); // init: always alive
  assert.throws(() => lockRelease(dir), /in use by process 1 /);
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  writeFileSync(join(dir, 'lock'), dead.stdout.trim());
  lockRelease(dir)();
  assert.ok(!existsSync(join(dir, 'lock')));
});
