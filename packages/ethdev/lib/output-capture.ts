import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DpdkBinding } from './dpdk-binding.js';

/** What C code printed on fds 1 and 2 while a capture was on. */
export interface CapturedOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** A capture begun by {@link beginCapture}: `end()` puts fds 1 and 2 back (once) and reads them. */
export interface OutputCapture {
  end(): CapturedOutput;
}

type Write = typeof process.stdout.write;

/**
 * Sends the process's stdout and stderr (fds 1, 2) to private unlinked files until `end()`.
 * `keepNodeOutput`, for a capture around a call on a worker thread while the event loop runs:
 * what Node itself writes meanwhile (`process.stdout.write`, so `console.log` too) goes to the
 * real stdout and stderr, not into the capture. A direct `fs.writeSync(1, …)` is captured.
 */
export function beginCapture(c: DpdkBinding, { keepNodeOutput = false } = {}): OutputCapture {
  const files = [1, 2].map((fd) => {
    const path = join(tmpdir(), `dphp-fd${fd}-${process.pid}-${Date.now()}`);
    const file = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
    return {
      fd,
      file,
      saved: -1,
      stream: fd === 1 ? process.stdout : process.stderr,
      write: undefined as Write | undefined,
    };
  });
  c.fflush(null);
  for (const f of files) {
    f.saved = c.dup(f.fd);
    if (f.saved < 0) continue;
    c.dup2(f.file, f.fd);
    if (keepNodeOutput) {
      f.write = f.stream.write;
      f.stream.write = writeTo(f.saved);
    }
  }
  let ended: CapturedOutput | undefined;
  return {
    end() {
      if (ended) return ended;
      try {
        c.fflush(null);
        for (const f of files) {
          if (f.saved < 0) continue;
          c.dup2(f.saved, f.fd);
          c.close(f.saved);
          if (f.write) f.stream.write = f.write;
        }
        const [stdout, stderr] = files.map((f) => read(f.file));
        ended = { stdout: stdout!, stderr: stderr! };
        return ended;
      } finally {
        for (const f of files) closeSync(f.file);
      }
    },
  };
}

/**
 * Runs `fn` with fds 1 and 2 captured, and returns what C code printed there. rte_eal_init prints
 * its usage to stdout and some errors straight to stderr, whatever the log settings: the caller
 * decides what is shown. Node writes nothing meanwhile: the call is synchronous.
 */
export function captureOutput<T>(c: DpdkBinding, fn: () => T): { result: T } & CapturedOutput {
  const capture = beginCapture(c);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    capture.end();
    throw error;
  }
  return { result, ...capture.end() };
}

/** A stream's write that writes to `fd` at once (stdout's own fd is the capture's meanwhile). */
function writeTo(fd: number): Write {
  return ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    const cb = typeof encoding === 'function' ? encoding : callback;
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : chunk;
    let error: Error | null = null;
    try {
      writeSync(fd, bytes);
    } catch (e) {
      error = e as Error;
    }
    if (typeof cb === 'function') process.nextTick(cb as (e: Error | null) => void, error);
    return true;
  }) as Write;
}

function read(fd: number): string {
  const bytes = Buffer.alloc(Math.min(fstatSync(fd).size, 1 << 20));
  readSync(fd, bytes, 0, bytes.length, 0);
  return bytes.toString('utf8');
}
