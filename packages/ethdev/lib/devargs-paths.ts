/**
 * The files and sockets a devargs names, checked where the PMD would use them: a special file
 * where a regular one is read (it blocks the PMD), an existing file or someone's live socket where
 * the PMD unlinks before it listens, a vhost-user peer that does not answer, and — when the
 * caller gives `devargsPaths` — a path outside the folders a devargs may read or write, its
 * symlinks followed (a dangling one to where the PMD would create the file).
 */
import { lstatSync, readlinkSync, realpathSync, type Stats, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { DevargsFile } from './pmd-args.js';
import { askPeer, VHOST_USER_DEADLINE_MS } from './socket-peer.js';

export interface PathPolicy {
  /** Let a PMD truncate an existing file (tx_pcap). */
  readonly overwriteFiles?: boolean;
  /** Absolute paths of files this process's PMDs made, which they may write again. */
  readonly ownFiles?: ReadonlySet<string>;
  /** Folders the paths must lie in, after symlinks; undefined: anywhere. */
  readonly devargsPaths?: readonly string[];
}

export type Refuse = (why: string, key: string) => never;

/** vhost-user sockets that answered, by path: their device and inode then. */
const answered = new Map<string, string>();

// The kernel's vhost backends virtio_user also takes for `path` (character devices).
const KERNEL_VHOST = /^\/dev\/(vhost-net|vhost-vdpa-\d+)$/;

/** Where `path` leads: every symlink followed, a dangling last one to its target. */
export function whereLeads(path: string, depth = 0): string {
  const full = resolve(path);
  try {
    return realpathSync(full);
  } catch {
    if (depth > 40) return full; // a loop: the PMD's open fails with ELOOP
    let link: string | undefined;
    try {
      if (lstatSync(full).isSymbolicLink()) link = readlinkSync(full);
    } catch {
      // does not exist: its folder decides
    }
    if (link !== undefined)
      return whereLeads(isAbsolute(link) ? link : resolve(dirname(full), link), depth + 1);
    const parent = dirname(full);
    return parent === full ? full : resolve(whereLeads(parent, depth + 1), basename(full));
  }
}

function inside(path: string, folder: string): boolean {
  const r = relative(folder, path);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}

function statOf(path: string, follow: boolean): Stats | undefined {
  try {
    return (follow ? statSync : lstatSync)(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // unreadable: the PMD fails to open it and says so
  }
}

function kind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSymbolicLink()) return 'a symlink';
  return 'a regular file';
}

/** Checks one path a devargs names; `refuse` throws the caller's INVALID_DEVARGS. */
export function checkDevargsPath(file: DevargsFile, policy: PathPolicy, refuse: Refuse): void {
  const at = `${file.key}=${file.path}`;
  if (policy.devargsPaths) {
    const real = whereLeads(file.path);
    const folders = policy.devargsPaths.map((f) => whereLeads(f));
    if (!folders.some((f) => inside(real, f))) {
      const via = real === resolve(file.path) ? '' : ` (it leads to ${real})`;
      refuse(
        `${at} is outside the devargs paths${via}: a devargs may use only ${folders.join(', ')} (devargsPaths)`,
        file.key,
      );
    }
  }
  if (file.access === 'read' || file.access === 'write') {
    const s = statOf(file.path, true);
    if (!s) return;
    if (!s.isFile())
      refuse(
        `${at} is not a regular file: a FIFO or device would block the PMD (it is ${kind(s)})`,
        file.key,
      );
    if (file.access === 'write' && !policy.overwriteFiles && !policy.ownFiles?.has(resolve(file.path)))
      refuse(`${at} exists and the PMD would truncate it; pass overwriteFiles: true to allow`, file.key);
  } else if (file.access === 'listen') {
    // The PMD unlinks whatever is there, then binds a socket: only a stale socket may go.
    const s = statOf(file.path, false);
    if (!s) return;
    if (!s.isSocket())
      refuse(`${at} is ${kind(s)} that exists: the PMD would unlink it to listen there`, file.key);
    if (askPeer(file.path, 'connect') !== 'no-listener')
      refuse(`${at} is a live socket: another process listens on it, and the PMD would unlink it`, file.key);
  } else if (file.access === 'vhost-user') {
    const s = statOf(file.path, true);
    if (!s) return; // nothing there: the PMD's connect fails and says so
    if (s.isCharacterDevice() && KERNEL_VHOST.test(realpathSync(file.path))) return;
    if (!s.isSocket())
      refuse(`${at} is ${kind(s)}: virtio_user needs a vhost-user socket (or /dev/vhost-net)`, file.key);
    // A socket that answered keeps its inode while its peer lives: asked once (an attach/detach
    // loop against one backend pays the child process on its first attach only).
    const identity = `${s.dev}:${s.ino}`;
    if (answered.get(file.path) === identity) return;
    const answer = askPeer(file.path, 'vhost');
    if (answer !== 'silent') answered.set(file.path, identity);
    if (answer === 'silent')
      refuse(
        `${at}: the peer accepted and did not answer VHOST_USER_GET_FEATURES within ${VHOST_USER_DEADLINE_MS} ms; virtio_user would wait for it for good`,
        file.key,
      );
  }
}
