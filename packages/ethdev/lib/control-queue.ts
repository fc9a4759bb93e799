/**
 * DPDK's control calls, one at a time for the whole process, in call order. The async forms
 * (attach, detach, configureAsync, …) run their DPDK calls on a worker thread (off-thread.ts,
 * or koffi's async call for those with a pointer) with a timeout and an optional AbortSignal; the sync forms run on the main thread, and
 * only when no async call is queued or running: DPDK's control API is not thread safe.
 *
 * An abort before the call's turn drops it (nothing was done); once its DPDK call has started,
 * the call runs to its end (DPDK cannot cancel one), and the promise rejects with ABORTED when
 * it has returned: an attach undoes itself first (see eal.ts).
 *
 * DPDK cannot cancel a call. A call that outlives its timeout is rejected with TIMEOUT and keeps
 * running on its worker thread: the queue is then wedged, and every control call is refused with
 * EAL_WEDGED until the call returns. If it returns, `late` takes in what it did and the queue is
 * usable again.
 */
import { writeSync } from 'node:fs';
import { inspect } from 'node:util';
import { DpdkError, EalStateError, type HotplugErrorDetails } from './errors.js';

/** One DPDK operation to run off the main thread, made when its turn comes. */
export interface OffThreadCall<T, R = number> {
  /** The C call as a person reads it: `rte_dev_probe("net_null0")`. */
  readonly call: string;
  readonly timeoutMs: number;
  /** Carried by the TIMEOUT error. */
  readonly details: HotplugErrorDetails;
  /** Starts the call on a worker thread; `done` runs once, on the main thread, when it returns. */
  start(done: (error: unknown, rc: R) => void): void;
  /** The result (or a thrown HotplugError) from the return code, when the call returned in time. */
  finish(rc: R): T;
  /** The call returned after its timeout: take in what it did; returns what became of it. */
  late(rc: R): LateOutcome;
  /** Says, for ABORTED, what a call that was aborted after it started did (`port 0 is closed`). */
  aborted?(result: T): string;
}

/** What a call that returned after its timeout did, as the SDK took it in. */
export interface LateOutcome {
  /** For people: `net_pcap0 is attached after all, as port 0`. */
  readonly outcome: string;
  readonly device?: string;
  readonly ports?: readonly number[];
}

/** A call that timed out and returned later. */
export interface LateReturn extends LateOutcome {
  readonly call: string;
  /** Its return code; undefined when the binding reported an error instead (or for a sequence of calls). */
  readonly rc: number | undefined;
  readonly timeoutMs: number;
  /** From its start to its return. */
  readonly elapsedMs: number;
}

interface Stuck {
  readonly call: string;
  readonly startedAt: number;
  readonly timeoutMs: number;
}

/** The call on a worker thread now: what its one `done` settles. */
interface Running {
  readonly entry: { label: string };
  readonly call: OffThreadCall<unknown, unknown>;
  readonly signal: AbortSignal | undefined;
  readonly startedAt: number;
  state: 'running' | 'done' | 'timed-out';
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const noop = () => {};

export class ControlQueue {
  #tail: Promise<unknown> = Promise.resolve();
  /** What each queued or running async call is (`attach("net_null0")`), oldest first. */
  readonly #pending: Array<{ label: string }> = [];
  #stuck: Stuck | undefined;
  /** The call started and not yet returned (or timed out and not yet returned), if any. */
  #running: Running | undefined;
  /** The deadline timer (see #armDeadline) and when it is due, by performance.now(). */
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #deadlineAt = 0;
  /** Calls started on a worker thread that have not returned (in time or not). */
  #onThread = 0;
  readonly #onLate: (late: LateReturn) => void;
  readonly #hardExit: ((code: number) => void) | undefined;
  /** The uncaught exception or unhandled rejection the process is dying of, if any. */
  #fatal: { error: unknown } | undefined;
  readonly #exitGuard = (code: number) => {
    if (this.#onThread === 0 || !this.#hardExit) return;
    // Node emits 'exit' for an uncaught error before it prints it: print it as Node would.
    if (this.#fatal) writeSync(2, `${fatalReport(this.#fatal.error)}\n`);
    // The 'exit' listeners after this one would never run: they run now, as Node would run them.
    const listeners = process.listeners('exit');
    for (const listener of listeners.slice(listeners.indexOf(this.#exitGuard) + 1))
      listener.call(process, code);
    this.#hardExit(typeof code === 'number' ? code : (process.exitCode as number) || 0);
  };
  /** Whether the exit guard and the fatal monitor are registered (see #started). */
  #guarded = false;
  #unguardSoon = false;
  /**
   * Seen before Node decides whether the error is fatal (an 'uncaughtException' listener may
   * handle it): kept only until the next microtask, as a fatal one ends the process before that.
   */
  readonly #fatalMonitor = (error: unknown) => {
    this.#fatal = { error };
    queueMicrotask(() => {
      this.#fatal = undefined;
    });
  };

  /**
   * `hardExit` ends the process at once (`_exit`): at process exit, while a call is on a worker
   * thread, Node's own exit would wait for it (libuv joins its thread pool), forever for a stuck one.
   */
  constructor(onLate: (late: LateReturn) => void, hardExit?: (code: number) => void) {
    this.#onLate = onLate;
    this.#hardExit = hardExit;
  }

  /** Whether a control call made now would be refused (an async call queued or running, or wedged). */
  get active(): boolean {
    return this.#pending.length > 0 || this.#stuck !== undefined;
  }

  /** The timed-out call still running on its worker thread, if any. */
  get stuck(): { call: string; runningMs: number; timeoutMs: number } | undefined {
    const s = this.#stuck;
    return (
      s && { call: s.call, runningMs: Math.round(performance.now() - s.startedAt), timeoutMs: s.timeoutMs }
    );
  }

  /**
   * For a call that must run now, on this thread: throws EAL_WEDGED while a timed-out call runs,
   * BUSY while an async call is queued or running. `what` names the refused call.
   */
  refuseUnlessIdle(what: string): void {
    this.refuseIfWedged(what);
    const first = this.#pending[0]?.label;
    if (first !== undefined) {
      const more = this.#pending.length > 1 ? ` (and ${this.#pending.length - 1} more queued)` : '';
      throw new EalStateError(
        'BUSY',
        `${what} refused: ${first} is in flight${more}, and DPDK's control calls run one at a time (its C API is not thread safe): await it first, or use the async form (attach, detach, configureAsync, startAsync, stopAsync, closeAsync), which waits its turn`,
      );
    }
  }

  /** Throws EAL_WEDGED while a call that timed out has not returned. */
  refuseIfWedged(what: string): void {
    const s = this.stuck;
    if (s) {
      throw new EalStateError(
        'EAL_WEDGED',
        `${what} refused: ${s.call} timed out after ${s.timeoutMs} ms and is still running on a worker thread (for ${s.runningMs} ms now; DPDK cannot cancel it), so DPDK's state is unknown and no control call can be made until it returns (a 'late' event says when), or the process is restarted`,
      );
    }
  }

  /**
   * Queues an async control call after every one queued before it. When its turn comes, `turn`
   * runs on the main thread (checks the state as it is then, may throw) and returns the call to
   * make off the main thread. The promise always settles: with the result, the error, or
   * TIMEOUT once `timeoutMs` has passed since the call started.
   */
  enqueue<T, R = number>(label: string, turn: () => OffThreadCall<T, R>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortedError(label, 'before it was queued'));
    const entry = { label };
    if (this.#pending.length === 0 && !signal) {
      // Nothing queued or running: its turn is now (one microtask and closure less per call).
      this.#pending.push(entry);
      const run = this.#run(entry, turn);
      this.#tail = run.then(noop, noop);
      return run;
    }
    this.#pending.push(entry);
    let dropped: ((e: unknown) => void) | undefined;
    const whileQueued = new Promise<never>((_, reject) => {
      dropped = reject;
    });
    const onAbort = () => {
      // Not started yet: it leaves the queue now, and its turn does nothing.
      if (this.#forget(entry)) dropped!(abortedError(label, 'while it waited its turn'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const run = this.#tail.then(() => {
      signal?.removeEventListener('abort', onAbort);
      return this.#pending.includes(entry) ? this.#run(entry, turn, signal) : whileQueued;
    });
    this.#tail = run.then(noop, noop);
    whileQueued.catch(noop);
    return signal ? Promise.race([run, whileQueued]) : run;
  }

  /** Settles when every call queued so far has settled (a stuck one: at its TIMEOUT). */
  async settled(): Promise<void> {
    await this.#tail;
  }

  /** Takes a call out of the pending list; false when it was not there any more. */
  #forget(entry: { label: string }): boolean {
    // The usual case, one call at a time: pop keeps the array's room for the next push.
    if (this.#pending.length === 1 && this.#pending[0] === entry) {
      this.#pending.pop();
      return true;
    }
    const at = this.#pending.indexOf(entry);
    if (at < 0) return false;
    this.#pending.splice(at, 1);
    return true;
  }

  #run<T, R>(entry: { label: string }, turn: () => OffThreadCall<T, R>, signal?: AbortSignal): Promise<T> {
    let call: OffThreadCall<T, R>;
    try {
      this.refuseIfWedged(entry.label);
      call = turn();
    } catch (e) {
      this.#forget(entry);
      return Promise.reject(e);
    }
    const r: Running = {
      entry,
      call: call as OffThreadCall<unknown, unknown>,
      signal,
      startedAt: performance.now(),
      state: 'running',
      resolve: noop,
      reject: noop,
    };
    const promise = new Promise<T>((resolve, reject) => {
      r.resolve = resolve as (value: unknown) => void;
      r.reject = reject;
    });
    this.#running = r;
    this.#armDeadline(r.startedAt + call.timeoutMs);
    // Counted before it starts: a call may return at once (a sequence with nothing to do).
    this.#started();
    try {
      call.start(this.#done);
    } catch (e) {
      // Never started (koffi refused the arguments, or too many async calls): nothing runs.
      if (r.state === 'running') {
        r.state = 'done';
        this.#running = undefined;
        this.#returned();
        this.#forget(entry);
        r.reject(e);
      }
    }
    return promise;
  }

  /**
   * The queue's one deadline timer, armed for `at` (performance.now() ms) unless it is armed for
   * that or sooner already: calls follow one another without a timer of their own each (a
   * setTimeout and a clearTimeout a call). When it fires, it times the running call out if its
   * time has passed, or is armed again for what is left of it; with no call running it stops.
   * Unreferenced: what a running call waits for (the worker, koffi's async call) holds the process.
   */
  #armDeadline(at: number): void {
    if (this.#deadline !== undefined) {
      if (this.#deadlineAt <= at) return;
      clearTimeout(this.#deadline);
    }
    this.#deadlineAt = at;
    this.#deadline = setTimeout(this.#onDeadline, Math.max(0, Math.ceil(at - performance.now())));
    this.#deadline.unref();
  }

  // Node's timers run on a millisecond clock of their own: one may fire up to 1 ms early by
  // performance.now(). The timeout is measured, and the timer armed again for what is left.
  readonly #onDeadline = (): void => {
    this.#deadline = undefined;
    const r = this.#running;
    if (r === undefined || r.state !== 'running') return;
    const call = r.call;
    const now = performance.now();
    if (now - r.startedAt < call.timeoutMs) {
      this.#armDeadline(r.startedAt + call.timeoutMs);
      return;
    }
    r.state = 'timed-out';
    this.#stuck = { call: call.call, startedAt: r.startedAt, timeoutMs: call.timeoutMs };
    this.#forget(r.entry);
    r.reject(timeoutError(call, now - r.startedAt));
  };

  /** Every call's `done`: one call runs at a time (a timed-out one wedges the queue until it returns). */
  readonly #done = (error: unknown, rc: unknown): void => {
    const r = this.#running;
    if (r === undefined || r.state === 'done') return;
    this.#returned();
    const call = r.call;
    if (r.state === 'running') {
      r.state = 'done';
      this.#running = undefined;
      this.#forget(r.entry);
      if (error) {
        r.reject(error);
        return;
      }
      try {
        const result = call.finish(rc);
        if (r.signal?.aborted) {
          const what = call.aborted?.(result) ?? 'it completed';
          r.reject(
            abortedError(
              r.entry.label,
              `after ${call.call} had started: DPDK cannot cancel a call, and ${what}`,
            ),
          );
        } else r.resolve(result);
      } catch (e) {
        r.reject(e);
      }
      return;
    }
    // Returned after its timeout.
    r.state = 'done';
    this.#running = undefined;
    const elapsedMs = Math.round(performance.now() - r.startedAt);
    let outcome: LateOutcome;
    try {
      outcome = error
        ? { outcome: `the binding reported an error: ${(error as Error).message ?? error}` }
        : call.late(rc);
    } catch (e) {
      outcome = { outcome: `taking in its result failed: ${(e as Error).message ?? e}` };
    }
    this.#stuck = undefined;
    this.#onLate({
      ...outcome,
      call: call.call,
      rc: error || typeof rc !== 'number' ? undefined : rc,
      timeoutMs: call.timeoutMs,
      elapsedMs,
    });
  };

  /**
   * A call is on a worker thread: the exit guard and the fatal monitor are registered. They stay
   * while calls follow one another (an attach, a close, a detach: listeners added and removed
   * per call cost about 1 µs), and go once the queue has stayed idle until the next check phase.
   */
  #started(): void {
    this.#onThread++;
    if (!this.#hardExit || this.#guarded) return;
    this.#guarded = true;
    process.on('exit', this.#exitGuard);
    process.on('uncaughtExceptionMonitor', this.#fatalMonitor);
  }

  #returned(): void {
    if (--this.#onThread > 0 || !this.#guarded || this.#unguardSoon) return;
    this.#unguardSoon = true;
    setImmediate(this.#unguardIfIdle).unref();
  }

  readonly #unguardIfIdle = (): void => {
    this.#unguardSoon = false;
    if (this.#onThread > 0 || !this.#guarded) return;
    this.#guarded = false;
    process.removeListener('exit', this.#exitGuard);
    process.removeListener('uncaughtExceptionMonitor', this.#fatalMonitor);
  };
}

/**
 * What Node prints for an error that ends the process (src/node_errors.cc): the error as
 * util.inspect shows it and Node's version; without the source line Node adds above it, which
 * only Node can find.
 */
export function fatalReport(error: unknown): string {
  return `${inspect(error)}\n\nNode.js ${process.version}`;
}

export function abortedError(label: string, when: string): EalStateError {
  return new EalStateError('ABORTED', `${label} was aborted ${when}`);
}

function timeoutError(call: OffThreadCall<unknown, unknown>, elapsedMs: number): DpdkError {
  return new DpdkError(
    'TIMEOUT',
    `${call.call} did not return within ${call.timeoutMs} ms (${elapsedMs.toFixed(1)} ms now). It is still running on a worker thread and cannot be interrupted (DPDK has no cancellation): the device may end up attached or not, and until the call returns the EAL is unusable, so every other control call is refused with EAL_WEDGED. If it returns, the SDK takes in what it did and emits a 'late' event; if it never does, restart the process`,
    call.details,
  );
}
