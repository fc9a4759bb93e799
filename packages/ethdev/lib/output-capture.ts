import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DpdkBinding } from './dpdk-binding.js';

/**
 * Runs `fn` with the process's stdout and stderr (fds 1, 2) sent to private unlinked files, and
 * returns what C code printed there. rte_eal_init prints its usage to stdout and some errors
 * straight to stderr, whatever the log settings: the caller decides what is shown. Node writes
 * nothing meanwhile: the call is synchronous.
 */
export function captureOutput<T>(c: DpdkBinding, fn: () => T): { result: T; stdout: string; stderr: string } {
  const files = [1, 2].map((fd) => {
    const path = join(tmpdir(), `dphp-fd${fd}-${process.pid}-${Date.now()}`);
    const file = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
    return { fd, file, saved: -1 };
  });
  try {
    c.fflush(null);
    for (const f of files) {
      f.saved = c.dup(f.fd);
      if (f.saved >= 0) c.dup2(f.file, f.fd);
    }
    let result: T;
    try {
      result = fn();
    } finally {
      c.fflush(null);
      for (const f of files) {
        if (f.saved < 0) continue;
        c.dup2(f.saved, f.fd);
        c.close(f.saved);
      }
    }
    const [stdout, stderr] = files.map((f) => read(f.file));
    return { result, stdout: stdout!, stderr: stderr! };
  } finally {
    for (const f of files) closeSync(f.file);
  }
}

function read(fd: number): string {
  const bytes = Buffer.alloc(Math.min(fstatSync(fd).size, 1 << 20));
  readSync(fd, bytes, 0, bytes.length, 0);
  return bytes.toString('utf8');
}
