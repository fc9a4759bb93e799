/**
 * Deleting a folder this program made, never through a mount (the house rule: `rm -rf
 * --one-file-system` after findmnt), for the TypeScript packages: the QEMU lab's run folders and
 * certify's reports. (tools/matrix/rootfs.mjs removeTree does the same for chroots, by `rm`.)
 */
import { lstatSync, readdirSync, readFileSync, rmdirSync, type Stats, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KernelError } from './errors.js';
import { mountsUnder, parseMountinfo } from './mounts.js';

function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Deletes the tree at `path` (a missing one is fine), refusing with KernelError `MOUNTED_INSIDE`:
 * before anything is deleted, when this process's mount table has a mount at or under it (a bind
 * mount of the same file system too, which no device number shows); while deleting, like `rm -rf
 * --one-file-system`, at a folder on another file system than `device` (default: that of the
 * tree's parent folder), left untouched. Symbolic links are unlinked, never followed.
 */
export function removeOwnTree(path: string, device?: number, mountinfo = '/proc/self/mountinfo'): void {
  const top = resolve(path);
  if (!lstat(top)) return;
  const inside = mountsUnder(parseMountinfo(readFileSync(mountinfo, 'utf8')), top);
  if (inside.length > 0)
    throw new KernelError('MOUNTED_INSIDE', `${inside[0]!.target} is a mount point in ${top}`, {
      path: inside[0]!.target,
      hint: 'nothing was deleted; unmount it first, or remove the folder yourself',
    });
  removeOn(top, device ?? lstatSync(dirname(top)).dev);
}

function removeOn(path: string, device: number): void {
  const st = lstat(path);
  if (!st) return;
  if (st.dev !== device)
    throw new KernelError('MOUNTED_INSIDE', `${path} is on another file system (a mount)`, {
      path,
      hint: 'remove or unmount it yourself',
    });
  if (!st.isDirectory()) {
    unlinkSync(path);
    return;
  }
  for (const name of readdirSync(path)) removeOn(join(path, name), device);
  rmdirSync(path);
}
