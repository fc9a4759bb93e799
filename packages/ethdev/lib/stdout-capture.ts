import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Binding } from './binding.js';

/**
 * Runs `fn` with the process's standard output (fd 1) sent to a private unlinked file, and
 * returns what C code printed there: rte_eal_init prints its usage with printf on bad arguments,
 * which must not reach the caller's output. Node writes nothing meanwhile (the call is synchronous).
 */
export function captureStdout<T>(c: Binding, fn: () => T): { result: T; printed: string } {
  const path = join(tmpdir(), `dphp-stdout-${process.pid}-${Date.now()}`);
  const fd = openSync(path, 'wx+', 0o600);
  unlinkSync(path);
  try {
    c.fflush(null);
    const saved = c.dup(1);
    if (saved < 0) return { result: fn(), printed: '' };
    c.dup2(fd, 1);
    let result: T;
    try {
      result = fn();
    } finally {
      c.fflush(null);
      c.dup2(saved, 1);
      c.close(saved);
    }
    const bytes = Buffer.alloc(Math.min(fstatSync(fd).size, 1 << 20));
    readSync(fd, bytes, 0, bytes.length, 0);
    return { result, printed: bytes.toString('utf8') };
  } finally {
    closeSync(fd);
  }
}
