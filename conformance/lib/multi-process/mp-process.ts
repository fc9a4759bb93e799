import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { record } from '../common/ledger.js';

export type MpReply = Record<string, unknown> & { error?: string; message?: string };

/** One DPDK process of a multi-process group (lib/multi-process/mp-child.ts), one request at a time. */
export class MpProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #replies: MpReply[] = [];
  #waiting?: (r: MpReply) => void;
  #stderr = '';
  #exit?: string;

  constructor(
    readonly role: 'primary' | 'secondary',
    filePrefix: string,
    hugeDir: string,
  ) {
    const script = fileURLToPath(new URL('../../dist/multi-process/mp-child.js', import.meta.url));
    this.#child = spawn(process.execPath, [script, role, filePrefix, hugeDir]);
    const forget =
      this.#child.pid === undefined ? () => {} : record({ kind: 'process', pid: this.#child.pid, script });
    this.#child.stderr.on('data', (d) => {
      this.#stderr += d;
    });
    this.#child.stdin.on('error', () => {}); // a dead process: its exit says why
    this.#child.on('exit', (code, signal) => {
      forget();
      this.#exit = signal ?? `exit code ${code}`;
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as MpReply;
      if (this.#waiting) {
        const w = this.#waiting;
        this.#waiting = undefined;
        w(reply);
      } else this.#replies.push(reply);
    });
  }

  /** The next reply, or an error naming what the process said on stderr when it died or hung. */
  next(timeoutMs = 15_000): Promise<MpReply> {
    const queued = this.#replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#exit) return Promise.reject(this.#died());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer in ${timeoutMs} ms; stderr: ${this.#stderr.slice(-500)}`)),
        timeoutMs,
      );
      this.#child.once('exit', () => {
        clearTimeout(timer);
        reject(this.#died());
      });
      this.#waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  #died(): Error {
    const said = this.#stderr.trim().split('\n').slice(-3).join(' | ');
    return new Error(`the ${this.role} process died (${this.#exit})${said ? `: ${said}` : ''}`);
  }

  async request(op: string, args: Record<string, string> = {}): Promise<MpReply> {
    this.#child.stdin.write(`${JSON.stringify({ op, ...args })}\n`);
    return this.next();
  }

  async devices(): Promise<string[]> {
    const r = await this.request('ports');
    return ((r.ports as { device: string }[]) ?? []).map((p) => p.device);
  }

  /**
   * Asks it to clean up and exit; kills it after `graceMs`. (A primary whose secondary died waits
   * DPDK's 5 s multi-process timeout in rte_eal_cleanup; its files go with the lab anyway.)
   */
  async stop(graceMs = 1000): Promise<void> {
    if (this.#exit) return; // exitCode stays null for a process killed by a signal
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.stdin.write('{"op":"quit"}\n');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
