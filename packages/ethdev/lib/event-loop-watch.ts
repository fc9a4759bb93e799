/**
 * The event loop while DPDK works, for the tests and the bench that hold the SDK to "never stalls
 * the event loop": a 1 ms interval timer (its worst gap) and Node's event-loop delay histogram
 * (its p99 and max) around a piece of async work, and the timed cycles they watch: attach →
 * close → detach, and the whole contract in its async forms. Exported through
 * `@dpdk-hotplug/ethdev/testing`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Eal } from './eal.js';

/** What {@link watchEventLoop} saw while `work` ran, and its result. */
export interface EventLoopWatch<T> {
  /** What `work` returned. */
  result: T;
  /** How long `work` ran. */
  seconds: number;
  /** The longest time between two firings of the 1 ms timer. */
  worstGapMs: number;
  /** The histogram's delay beyond its 1 ms resolution. */
  p99DelayMs: number;
  /** The histogram's largest delay beyond its 1 ms resolution. */
  maxDelayMs: number;
}

/** Runs `work` under the 1 ms timer and the delay histogram; says what they saw. */
export async function watchEventLoop<T>(work: () => Promise<T>): Promise<EventLoopWatch<T>> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let worstGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - last);
    last = now;
  }, 1);
  histogram.enable();
  const t0 = performance.now();
  try {
    const result = await work();
    return {
      result,
      seconds: (performance.now() - t0) / 1000,
      worstGapMs,
      p99DelayMs: histogram.percentile(99) / 1e6,
      maxDelayMs: histogram.max / 1e6,
    };
  } finally {
    histogram.disable();
    clearInterval(timer);
  }
}

/** `cycles` async attach → close → detach cycles of `devargs`, with the slowest attach and close
 * (close has no async form: it runs on the main thread). */
export async function timedAsyncCycles(
  eal: Eal,
  devargs: string,
  cycles: number,
): Promise<{
  /** The slowest `await attach`. */
  worstAttachMs: number;
  /** The slowest sync `close`. */
  worstCloseMs: number;
}> {
  let worstAttachMs = 0;
  let worstCloseMs = 0;
  for (let i = 0; i < cycles; i++) {
    const ta = performance.now();
    const port = await eal.attach(devargs);
    worstAttachMs = Math.max(worstAttachMs, performance.now() - ta);
    const tc = performance.now();
    eal.close(port);
    worstCloseMs = Math.max(worstCloseMs, performance.now() - tc);
    await eal.detach(port);
  }
  return { worstAttachMs, worstCloseMs };
}

/** The slowest of each step over a run of {@link timedLifecycleCycles}, in ms. */
export interface LifecycleWorst {
  /** The slowest `attach`, in ms. */
  attach: number;
  /** The slowest `configureAsync`, in ms. */
  configure: number;
  /** The slowest `startAsync`, in ms. */
  start: number;
  /** The slowest `stopAsync`, in ms. */
  stop: number;
  /** The slowest `closeAsync`, in ms. */
  close: number;
  /** The slowest `detach`, in ms. */
  detach: number;
}

/**
 * `cycles` cycles of the whole contract, every step in its async form (DPDK's calls on a worker
 * thread): attach → configureAsync → startAsync → stopAsync → closeAsync → detach; with the
 * slowest of each step.
 */
export async function timedLifecycleCycles(
  eal: Eal,
  devargs: string,
  cycles: number,
): Promise<LifecycleWorst> {
  const worst: LifecycleWorst = { attach: 0, configure: 0, start: 0, stop: 0, close: 0, detach: 0 };
  const timed = async <T>(step: keyof LifecycleWorst, work: Promise<T>): Promise<T> => {
    const t = performance.now();
    const result = await work;
    worst[step] = Math.max(worst[step], performance.now() - t);
    return result;
  };
  for (let i = 0; i < cycles; i++) {
    const id = await timed('attach', eal.attach(devargs));
    // The handle: the id alone may name another port once this one is closed.
    const port = eal.port(id);
    await timed('configure', eal.configureAsync(port));
    await timed('start', eal.startAsync(port));
    await timed('stop', eal.stopAsync(port));
    await timed('close', eal.closeAsync(port));
    await timed('detach', eal.detach(port));
  }
  return worst;
}

/** What {@link watchAgainstIdle} saw: the cycles' loop against its idle control's. */
export interface InterleavedWatch<S extends object> {
  /** The cycles' time, idle windows left out. */
  seconds: number;
  /** The longest 1 ms timer gap over the cycles. */
  worstGapMs: number;
  /** The longest gap over the idle windows (this machine's own noise, measured alongside). */
  idleWorstGapMs: number;
  /** `worstGapMs` less `idleWorstGapMs`: what the work adds to the idle loop's worst. */
  excessMs: number;
  /** The largest p99 delay of the histogram over a cycle. */
  p99DelayMs: number;
  /** The slowest of each step over the cycles (the largest of each key `cycle` returned). */
  slowest: S;
}

/**
 * Runs `cycle` `cycles` times, each under the 1 ms timer and followed by an idle window as long,
 * in the same process: on a loaded machine the idle loop itself misses its timer by tens of ms,
 * and windows interleaved this way see the same load (and the same thread pinning) as the cycles.
 */
export async function watchAgainstIdle<S extends Record<keyof S, number>>(
  cycle: () => Promise<S>,
  cycles: number,
): Promise<InterleavedWatch<S>> {
  let seconds = 0;
  let worstGapMs = 0;
  let idleWorstGapMs = 0;
  let p99DelayMs = 0;
  let slowest: S | undefined;
  for (let i = 0; i < cycles; i++) {
    const one = await watchEventLoop(cycle);
    const idle = await watchEventLoop(() => new Promise((r) => setTimeout(r, one.seconds * 1000)));
    seconds += one.seconds;
    worstGapMs = Math.max(worstGapMs, one.worstGapMs);
    idleWorstGapMs = Math.max(idleWorstGapMs, idle.worstGapMs);
    p99DelayMs = Math.max(p99DelayMs, one.p99DelayMs);
    const prev = slowest;
    slowest = prev
      ? (Object.fromEntries(
          Object.entries(one.result).map(([k, v]) => [k, Math.max(v as number, prev[k as keyof S])]),
        ) as S)
      : one.result;
  }
  if (!slowest) throw new RangeError(`watchAgainstIdle: cycles must be at least 1, not ${cycles}`);
  return { seconds, worstGapMs, idleWorstGapMs, excessMs: worstGapMs - idleWorstGapMs, p99DelayMs, slowest };
}
