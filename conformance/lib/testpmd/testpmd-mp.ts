/**
 * Check 17's processes: a primary and a secondary dpdk-testpmd on one `--file-prefix` and one
 * hugetlbfs, seen by check 14's scenario (lib/multi-process/mp-scenario.ts) through {@link MpPeer}: each
 * scenario request becomes testpmd commands, each answer is read by the parser (which throws on
 * anything it does not know), and nothing is guessed. A testpmd that crashes or hangs throws
 * {@link TestpmdGone} out of the step it was in.
 */
import { multiProcessCut } from '@dpdk-hotplug/ethdev';
import { type PeerGroup, peerGroup } from '../multi-process/mp-group.js';
import type { MpReply } from '../multi-process/mp-process.js';
import type { MpPeer } from '../multi-process/mp-scenario.js';
import { Testpmd, TestpmdGone, type TestpmdOptions } from './testpmd.js';
import type { ListedPort } from './testpmd-parse.js';

const said = (text: string) => text.trim().split('\n').slice(-3).join(' | ');

/** One testpmd of the group, as the scenario sees a process. */
export class TestpmdPeer implements MpPeer {
  readonly #start: Promise<Testpmd>;
  #tp?: Testpmd;
  /** The output of a testpmd that did not start (its start error carries it). */
  #failedStart = '';

  constructor(
    readonly role: 'primary' | 'secondary',
    options: TestpmdOptions,
  ) {
    this.#start = Testpmd.start(options);
    this.#start.then(
      (tp) => {
        this.#tp = tp;
      },
      (e: { transcript?: string }) => {
        this.#failedStart = e.transcript ?? '';
      },
    );
  }

  /** `{ ready: true }` once testpmd prompts; rejects with {@link TestpmdGone} (`start`) if it does not. */
  async next(): Promise<MpReply> {
    await this.#start;
    return { ready: true, role: this.role };
  }

  /** One command (the scenario's requests, and the recorder's extra ones); a crash or hang names this process's role. */
  async run(command: string) {
    const tp = await this.#start;
    try {
      return await tp.run(command);
    } catch (e) {
      if (!(e instanceof TestpmdGone)) throw e;
      throw new TestpmdGone(e.how, e.detail, e.command, e.transcript, this.role);
    }
  }

  /** The ports this testpmd lists (`show port summary all`: ethdev's view, shared by the group). */
  async ports(): Promise<ListedPort[]> {
    const { answer } = await this.run('show port summary all');
    if (answer.kind !== 'summary') throw new Error(`"show port summary all" answered ${answer.kind}`);
    return answer.ports;
  }

  /** A vdev's port name is its device name, which is what the scenario compares. */
  async devices(): Promise<string[]> {
    return (await this.ports()).map((p) => p.name);
  }

  async request(op: 'attach' | 'detach', args: Record<string, string>): Promise<MpReply> {
    if (op === 'attach') {
      // What DPDK would cut for the other process is not given to testpmd: its secondary would
      // write a cut path, outside the DUT's folder (the SDK's processes refuse it the same way).
      const cut = multiProcessCut(args.devargs!);
      if (cut) return { error: 'INVALID_DEVARGS', message: `not given to testpmd: ${cut.why}` };
      const r = await this.run(`port attach ${args.devargs}`);
      return r.answer.kind === 'attached'
        ? { port: r.answer.ports[0] }
        : { error: 'ATTACH_FAILED', message: said(r.text) };
    }
    const ids = (await this.ports()).filter((p) => p.name === args.device).map((p) => p.port);
    if (!ids.length) return { error: 'PORT_NOT_FOUND', message: `testpmd lists no port of ${args.device}` };
    // remove-unclosed, the SDK's order in check 14: `port detach` of the stopped port, which
    // testpmd detaches without closing it first ("Port was not closed"). close-then-remove:
    // `port close`, then `device detach` by name (the id is freed by close).
    const id = ids[0]!;
    if (args.order === 'close-then-remove') {
      const c = await this.run(`port close ${id}`);
      if (c.answer.kind !== 'closed') return { error: 'CLOSE_FAILED', message: said(c.text) };
    }
    const d = await this.run(
      args.order === 'close-then-remove' ? `device detach ${args.device}` : `port detach ${id}`,
    );
    // 22.11 to 25.11's `port detach` says "Device is detached" without the name: the port was
    // the device's, found by name above.
    return d.answer.kind === 'detached' && (d.answer.device === '' || d.answer.device === args.device)
      ? { detached: args.device }
      : { error: 'DETACH_FAILED', message: said(d.text) };
  }

  /** Everything it wrote (a testpmd that did not start: what it wrote before it died). */
  get transcript(): string {
    return this.#tp?.transcript ?? this.#failedStart;
  }

  /** Quits it (kills it after a grace time); waits for a start under way first. */
  async stop(): Promise<void> {
    const tp = await this.#start.catch(() => undefined);
    await tp?.close(2000);
  }
}

export type TestpmdGroup = PeerGroup<TestpmdPeer>;

/**
 * A primary testpmd (started now) and its secondaries, `--file-prefix prefix` on the hugetlbfs at
 * `hugeDir` (the group's life and runtime folder: {@link peerGroup}).
 */
export function testpmdGroup(
  prefix: string,
  hugeDir: string,
  more: Pick<TestpmdOptions, 'mbufs' | 'launcher'> = {},
): TestpmdGroup {
  const peer = (role: 'primary' | 'secondary') =>
    new TestpmdPeer(role, {
      filePrefix: prefix,
      instance: { kind: 'multi-process', role, hugeDir },
      ...more,
    });
  return peerGroup(prefix, peer);
}
