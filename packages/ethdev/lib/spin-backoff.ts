/**
 * How long the async worker stays home (asleep between calls) after a spin of its was preempted
 * (off-thread.ts). A pure function: the worker's source embeds it (`toString`), the tests drive it
 * through made-up timelines.
 *
 * Why this shape (docs/measurements.md, "The async worker's back-off: one preemption cost a tenth
 * of a second (16th session)"): a single preemption on a quiet machine (a kernel thread, the
 * bench's parent) used to send the worker home for 100 ms, and a 20,000-cycle run lasts 0.1–0.4 s,
 * so one or two of them doubled its time. But a CPU that stays busy must still send it home for
 * long (spinning there means waiting for a turn: Node 24 at load 10–13 took 4.5–4.9× the wall
 * time of never spinning, with no back-off at all). The difference between the two is how long
 * the worker stayed away unpreempted since the last preemption: a quiet machine's preemptions are
 * hundreds of milliseconds apart, a busy CPU's a scheduler slice (a few ms). The most is 200 ms,
 * not seconds: V8's compiler threads preempt it in bursts while a program warms up, and a
 * back-off of seconds earned then kept the worker home through the whole measured run after.
 * At the most, a busy CPU still sees it away about 1.5% of the time (a slice in 200 ms).
 */
export interface SpinBackoffPolicy {
  /** The back-off after a preemption that came after a clean stretch (or the first one). */
  readonly baseMs: number;
  /** How much longer each back-off is than the last while preemptions come close together. */
  readonly factor: number;
  /** The most. */
  readonly maxMs: number;
  /** Away this long (wall time), unpreempted, since the last preemption: its CPU is not busy. */
  readonly recoverMs: number;
}

/** The worker's policy (off-thread.ts passes it to the worker). */
export const SPIN_BACKOFF: SpinBackoffPolicy = { baseMs: 1, factor: 2, maxMs: 200, recoverMs: 20 };

/**
 * The back-off after a preemption, given the last one (0: none yet) and the time away
 * unpreempted since that one. Self-contained: it runs in the worker as its source text.
 */
export function spinBackoffMs(lastMs: number, cleanAwayMs: number, policy: SpinBackoffPolicy): number {
  if (lastMs === 0 || cleanAwayMs >= policy.recoverMs) return policy.baseMs;
  return Math.min(lastMs * policy.factor, policy.maxMs);
}
