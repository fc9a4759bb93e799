import { gzipSync } from 'node:zlib';

/** One entry of an initramfs: a directory, a regular file, or a symlink. */
export type CpioEntry =
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'file'; data: Buffer | string; mode?: number }
  | { path: string; type: 'symlink'; target: string };

const hex = (n: number) => n.toString(16).padStart(8, '0');

/**
 * A gzip'd cpio archive in the "newc" format the kernel unpacks as an initramfs (what
 * `cpio -o -H newc | gzip` makes), so the lab needs no cpio binary.
 */
export function initramfs(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  const add = (name: string, mode: number, data: Buffer) => {
    const nameBuf = Buffer.from(`${name}\0`);
    const header = `070701${[ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBuf.length, 0].map(hex).join('')}`;
    parts.push(Buffer.from(header, 'ascii'), nameBuf, pad4(110 + nameBuf.length), data, pad4(data.length));
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (e.type === 'dir') add(name, 0o040000 | (e.mode ?? 0o755), Buffer.alloc(0));
    else if (e.type === 'symlink') add(name, 0o120000 | 0o777, Buffer.from(e.target));
    else add(name, 0o100000 | (e.mode ?? 0o644), Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data));
  }
  add('TRAILER!!!', 0, Buffer.alloc(0));
  return gzipSync(Buffer.concat(parts), { level: 1 });
}
