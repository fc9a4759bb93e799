/**
 * dpdk-testpmd, driven interactively as DTS drives it: one command, wait for the prompt, the next.
 * It runs in a process of its own with its own EAL and no port at start (a private instance
 * without hugepages or PCI scan by default; see {@link TestpmdInstance}), and is killed by its own
 * pid only: on a command that does not answer in time,
 * on `close()`, and when this process exits (a worker interrupted). A worker killed outright
 * leaves it to the run's ledger (`lib/common/ledger.ts`), which kills it by pid after checking its
 * command line.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { record, runtimeFolder } from '../common/ledger.js';
import { driverArgs } from '../common/run-drivers.js';
import { answerText, PROMPT, parseAnswer, type TestpmdAnswer } from './testpmd-parse.js';

/**
 * The DPDK instance testpmd runs in. `private`: anonymous memory, no PCI scan, no shared files
 * (vdevs). `pci`: hugepages kept in memory (no files), the PCI bus scanned but nothing probed at
 * start (an allowlist of the host bridge, as the SDK's PCI EAL), physical addresses for UIO
 * drivers. `multi-process`: a primary or a secondary on a shared hugetlbfs; the instance's runtime
 * folder is its group's to remove, not this process's.
 */
export type TestpmdInstance =
  | { kind: 'private' }
  | { kind: 'pci'; iovaMode?: 'pa' }
  | { kind: 'multi-process'; role: 'primary' | 'secondary'; hugeDir: string };

export interface TestpmdOptions {
  /** The EAL's `--file-prefix`: unique per process, or per group for `multi-process`. */
  filePrefix: string;
  /** Default `private`. */
  instance?: TestpmdInstance;
  /** How long the start may take (EAL init dominates). */
  startTimeoutMs?: number;
  /** testpmd's mbuf pool (`--total-num-mbufs`): the DUT's own pool when it names one; default 2048. */
  mbufs?: number;
  /**
   * Runs testpmd some other way than `sh -c 'exec stdbuf -oL dpdk-testpmd …'` on this host (the
   * recorder enters a root filesystem with it): gets testpmd's arguments, returns the program and
   * its arguments. Its stdout must carry testpmd's stdout and stderr.
   */
  launcher?: (testpmdArgs: string[]) => { file: string; args: string[] };
}

/** Whether this machine has dpdk-testpmd (and stdbuf) on its PATH. */
export function hasTestpmd(): boolean {
  return (
    spawnSync('sh', ['-c', 'command -v dpdk-testpmd && command -v stdbuf'], { stdio: 'ignore' }).status === 0
  );
}

/** testpmd's EAL and application arguments: nothing probed at start, in the instance asked for. */
export function testpmdArgs(
  filePrefix: string,
  mbufs = 2048,
  instance: TestpmdInstance = { kind: 'private' },
): string[] {
  const memory =
    instance.kind === 'private'
      ? ['--no-huge', '-m', '64', '--no-pci', '--no-shconf']
      : instance.kind === 'pci'
        ? // 0000:00:00.0 is the host bridge, which no PMD drives: the scan probes nothing.
          [
            '--in-memory',
            '-m',
            '64',
            '-a',
            '0000:00:00.0',
            ...(instance.iovaMode ? [`--iova-mode=${instance.iovaMode}`] : []),
          ]
        : ['--huge-dir', instance.hugeDir, '-m', '32', '--no-pci', `--proc-type=${instance.role}`];
  return [
    '-l',
    '0,1',
    ...memory,
    '--file-prefix',
    filePrefix,
    '--log-level=4',
    // The run's out-of-tree PMDs (certify --driver), as the SDK's EALs load them.
    ...driverArgs(),
    '--',
    '-i',
    `--total-num-mbufs=${mbufs}`,
  ];
}

/** testpmd died or stopped answering: a finding against the PMD or testpmd, with what it said. */
export class TestpmdGone extends Error {
  override readonly name = 'TestpmdGone';
  constructor(
    /** `crashed` (a signal), `exited` (an exit code), `hung` (no prompt in time). */
    readonly how: 'crashed' | 'exited' | 'hung',
    /** The signal or exit code, or the timeout. */
    readonly detail: string,
    /** The command it was running, or `start`. */
    readonly command: string,
    /** Its whole output so far. */
    readonly transcript: string,
    /** Which testpmd of a multi-process group (`primary`, `secondary`); unset for a lone one. */
    readonly role?: string,
  ) {
    super(`testpmd ${how} (${detail}) during "${command}"${role ? ` in the ${role}` : ''}`);
  }
}

/** Each thread of a process as `name state wait-channel` (from /proc), or '' once it is gone. */
export function threadsOf(pid: number): string {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) => {
        const at = (f: string) => {
          try {
            return readFileSync(`/proc/${pid}/task/${tid}/${f}`, 'utf8').trim();
          } catch {
            return '?';
          }
        };
        // stat: "tid (comm) S …": the state follows the last ')'.
        const stat = at('stat');
        const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
        return `${at('comm')} ${state} ${at('wchan') || '-'}`;
      })
      .join(', ');
  } catch {
    return '';
  }
}

export interface Exchange {
  command: string;
  /** The answer's text, as testpmd wrote it (without the echo). */
  text: string;
  answer: TestpmdAnswer;
  ms: number;
}

export class Testpmd {
  readonly #child: ChildProcessWithoutNullStreams;
  #output = '';
  /** Output since the last prompt consumed. */
  #pending = '';
  #exit?: { how: 'crashed' | 'exited'; detail: string };
  #wake?: () => void;
  readonly #forget: () => void;
  readonly #onExit = () => this.kill();
  readonly exchanges: Exchange[] = [];

  private constructor(options: TestpmdOptions) {
    const args = testpmdArgs(options.filePrefix, options.mbufs, options.instance);
    const { file, args: argv } = options.launcher?.(args) ?? {
      file: 'sh',
      // One pipe for both streams, in the order written; `exec` keeps the pid testpmd's.
      // Line-buffered, as on the pty DTS uses: a message is never split by a prompt.
      args: ['-c', 'exec stdbuf -oL dpdk-testpmd "$@" 2>&1', 'sh', ...args],
    };
    this.#child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const pid = this.#child.pid;
    const forgetProcess =
      pid === undefined ? () => {} : record({ kind: 'process', pid, script: options.filePrefix });
    // EAL makes its runtime folder even with --no-shconf; ours by its prefix, removed at exit
    // (a multi-process group's is the group's: its other process may still use it).
    const ownsDir = !options.launcher && options.instance?.kind !== 'multi-process';
    const runtime = ownsDir ? runtimeFolder(options.filePrefix) : undefined;
    this.#forget = () => {
      forgetProcess();
      runtime?.remove();
    };
    process.once('exit', this.#onExit);
    const take = (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      this.#output += text;
      this.#pending += text;
      this.#wake?.();
    };
    this.#child.stdout.on('data', take);
    this.#child.stderr.on('data', take);
    this.#child.stdin.on('error', () => {}); // a dead process: its exit says why
    this.#child.on('exit', (code, signal) => {
      this.#exit = signal
        ? { how: 'crashed', detail: signal }
        : { how: 'exited', detail: `exit code ${code}` };
      this.#forget();
      process.off('exit', this.#onExit);
      this.#wake?.();
    });
  }

  /** Starts testpmd and waits for its first prompt. */
  static async start(options: TestpmdOptions): Promise<Testpmd> {
    const t = new Testpmd(options);
    await t.#untilPrompt('start', options.startTimeoutMs ?? 20_000);
    return t;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Everything testpmd wrote, prompts and echoes included. */
  get transcript(): string {
    return this.#output;
  }

  /** Runs one command and parses its answer (a {@link TestpmdParseError} for output not understood). */
  async run(command: string, timeoutMs = 10_000): Promise<Exchange> {
    const t0 = performance.now();
    this.#child.stdin.write(`${command}\n`);
    const chunk = await this.#untilPrompt(command, timeoutMs);
    const text = answerText(command, chunk);
    const exchange = { command, text, answer: parseAnswer(command, text), ms: performance.now() - t0 };
    this.exchanges.push(exchange);
    return exchange;
  }

  /** The output up to the next prompt; throws {@link TestpmdGone} on exit or timeout (then kills). */
  async #untilPrompt(command: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.#pending.indexOf(PROMPT);
      if (at >= 0) {
        const chunk = this.#pending.slice(0, at);
        this.#pending = this.#pending.slice(at + PROMPT.length);
        return chunk;
      }
      if (this.#exit) throw new TestpmdGone(this.#exit.how, this.#exit.detail, command, this.#output);
      const left = deadline - Date.now();
      if (left <= 0) {
        // Where it waits, read before the kill: the evidence of a hang, not only its duration.
        const where = this.#child.pid === undefined ? '' : threadsOf(this.#child.pid);
        this.kill();
        throw new TestpmdGone(
          'hung',
          `no prompt within ${timeoutMs} ms${where ? `; its threads: ${where}` : ''}`,
          command,
          this.#output,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Quits testpmd (it stops and closes its ports); kills it after `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.#exit) return;
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.stdin.write('quit\n');
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL to its own pid, if it still runs. */
  kill(): void {
    if (!this.#exit && this.#child.pid !== undefined) this.#child.kill('SIGKILL');
  }
}
