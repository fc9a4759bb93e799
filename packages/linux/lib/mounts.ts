/**
 * The mount table, read one way for everyone: the inventory (a mounted disk is active),
 * hugepages (hugetlbfs mounts), the certification ledger (never delete through a mount) and the
 * release matrix (never delete a root filesystem something is mounted in).
 */
import { resolve } from 'node:path';
import type { Host } from './host.js';

/** One mount: what is mounted (`/dev/vda1`, `nodev`), where, its file system type and options. */
export interface MountEntry {
  source: string;
  target: string;
  type: string;
  options: string;
}

/** proc(5)'s `\040`-style escapes in mount paths (space, tab, newline, backslash). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** A `/proc/<pid>/mounts` text (fstab's format: source, target, type, options, …). */
export function parseMounts(text: string): MountEntry[] {
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f.length >= 3 && f[0] !== '')
    .map(([source, target, type, options]) => ({
      source: unescapeMountPath(source!),
      target: unescapeMountPath(target!),
      type: type!,
      options: options ?? '',
    }));
}

/**
 * A `/proc/<pid>/mountinfo` text (proc(5): `id parent major:minor root target options … - type
 * source super-options`). Its targets are relative to the reading process's root.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left = '', right = ''] = line.split(' - ');
    const fields = left.split(' ');
    if (fields.length < 6) continue;
    const [type = '', source = '', superOptions = ''] = right.split(' ');
    mounts.push({
      source: unescapeMountPath(source),
      target: unescapeMountPath(fields[4]!),
      type,
      options: [fields[5], superOptions].filter(Boolean).join(','),
    });
  }
  return mounts;
}

/** True when `path` is `dir` or inside it (both absolute; no symlink resolution). */
export function isUnder(path: string, dir: string): boolean {
  const d = resolve(dir);
  const p = resolve(path);
  return p === d || p.startsWith(d === '/' ? '/' : `${d}/`);
}

/**
 * The mounts at or under `dir`. A process's table names mount points from its own root: for a
 * process chrooted in `/x/rootfs`, `/dev` is `/x/rootfs/dev`; `root` is that process's root, so
 * the targets returned are as the host sees them.
 */
export function mountsUnder(mounts: readonly MountEntry[], dir: string, root = '/'): MountEntry[] {
  return mounts
    .map((m) => (root === '/' ? m : { ...m, target: resolve(root, `.${m.target}`) }))
    .filter((m) => isUnder(m.target, dir));
}

/** The host's mount table as `pid` (this process by default) sees it; empty when it cannot be read. */
export async function mounts(host: Host, pid: number | 'self' = 'self'): Promise<MountEntry[]> {
  try {
    return parseMounts(
      await host.io.read(pid === 'self' ? host.proc('mounts') : host.proc(String(pid), 'mounts')),
    );
  } catch {
    return [];
  }
}
