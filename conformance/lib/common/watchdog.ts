import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

// The watchdog thread: wakes every 100 ms; past the deadline, it writes what hung and kills
// the process (SIGKILL: a PMD stuck in C cannot be interrupted any other way).
const WATCHER = `
import { workerData } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
const clock = new Int32Array(workerData.state);
const deadline = new Float64Array(workerData.deadline);
const label = new Uint8Array(workerData.label);
for (;;) {
  Atomics.wait(clock, 0, 0, 100);
  const due = deadline[0];
  if (due > 0 && Date.now() > due) {
    const what = Buffer.from(label).toString().replace(/\\0+$/, '');
    writeFileSync(workerData.marker, JSON.stringify({ hung: what, timeoutMs: deadline[1], at: new Date().toISOString() }));
    process.kill(process.pid, 'SIGKILL');
  }
}`;

export interface HangMarker {
  hung: string;
  timeoutMs: number;
  at: string;
}

/**
 * Kills this process when an armed step outlives its deadline, after writing a marker file
 * that names the step, so that a hang is reported as a hang and the run goes on in a new worker.
 */
export class Watchdog {
  readonly #deadline = new Float64Array(new SharedArrayBuffer(16));
  readonly #label = new Uint8Array(new SharedArrayBuffer(512));
  readonly #worker: Worker;

  constructor(readonly marker: string) {
    // An ES module from a data: URL runs the same under CommonJS and ESM hosts.
    this.#worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WATCHER)}`), {
      workerData: {
        state: new SharedArrayBuffer(4),
        deadline: this.#deadline.buffer,
        label: this.#label.buffer,
        marker,
      },
    });
    this.#worker.unref();
  }

  arm(label: string, timeoutMs: number): void {
    this.#label.fill(0);
    this.#label.set(Buffer.from(label).subarray(0, this.#label.length - 1));
    this.#deadline[1] = timeoutMs;
    this.#deadline[0] = Date.now() + timeoutMs;
  }

  /**
   * While armed, gives the guarded step at least `timeoutMs` from now (a longer deadline kept),
   * until the returned `end()`: for a fixture's setup with its own, longer timeout that blocks the
   * event loop (a module compiled on import), so the guard does not call it a hang before that
   * timeout. `end()` gives the step back the time it had left when the setup began (Playwright does
   * not count a worker fixture's setup in the test's timeout either), unless it was re-armed or
   * disarmed meanwhile; a setup that needed no more time changes nothing.
   */
  allowAtLeast(timeoutMs: number): () => void {
    const due = this.#deadline[0]!;
    if (due === 0) return () => {};
    const now = Date.now();
    const until = now + timeoutMs;
    if (until <= due) return () => {};
    const armed = { left: due - now, timeoutMs: this.#deadline[1]! };
    this.#deadline[1] = armed.timeoutMs + (until - due);
    this.#deadline[0] = until;
    return () => {
      if (this.#deadline[0] !== until) return;
      this.#deadline[1] = armed.timeoutMs;
      this.#deadline[0] = Date.now() + armed.left;
    };
  }

  disarm(): void {
    this.#deadline[0] = 0;
  }

  async stop(): Promise<void> {
    this.disarm();
    await this.#worker.terminate();
  }
}

export function readHangMarker(path: string): HangMarker | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as HangMarker) : undefined;
}
