/**
 * The async worker's back-off after a preempted spin (spin-backoff.ts), over made-up timelines:
 * a quiet machine's rare preemptions must cost little, a busy CPU's steady ones must keep the
 * worker home nearly all the time. The worker runs this very function (its source text).
 */
import { describe, expect, it } from 'vitest';
import { SPIN_BACKOFF, spinBackoffMs } from './spin-backoff.js';

/**
 * A burst of calls over `totalMs`: the worker spins away until a preemption `cleanMs` after it
 * went away, then stays home for the back-off. Returns the share of the time it spent away.
 */
function awayShare(cleanMs: number, totalMs: number): { share: number; lastBackoffMs: number } {
  let t = 0;
  let away = 0;
  let backoff = 0;
  while (t < totalMs) {
    away += cleanMs;
    backoff = spinBackoffMs(backoff, cleanMs, SPIN_BACKOFF);
    t += cleanMs + backoff;
  }
  return { share: away / t, lastBackoffMs: backoff };
}

describe("the async worker's back-off after a preempted spin", () => {
  it('costs a quiet machine about a millisecond per preemption', () => {
    // A kernel thread or the parent process takes the worker's CPU every 200 ms.
    const { share, lastBackoffMs } = awayShare(200, 10_000);
    expect(lastBackoffMs).toBe(SPIN_BACKOFF.baseMs);
    expect(share).toBeGreaterThan(0.99);
  });

  it('keeps the worker home almost always while its CPUs stay busy', () => {
    // Another process shares the worker's CPU: a scheduler slice of 3 ms, then preempted.
    const { share, lastBackoffMs } = awayShare(3, 10_000);
    expect(lastBackoffMs).toBe(SPIN_BACKOFF.maxMs);
    expect(share).toBeLessThan(0.02);
  });

  it('grows while preemptions come close together, and is short again after a clean stretch', () => {
    const p = SPIN_BACKOFF;
    expect(spinBackoffMs(0, 0, p)).toBe(p.baseMs);
    expect(spinBackoffMs(p.baseMs, 1, p)).toBe(p.baseMs * p.factor);
    expect(spinBackoffMs(p.maxMs, 1, p)).toBe(p.maxMs);
    expect(spinBackoffMs(p.maxMs, p.recoverMs, p)).toBe(p.baseMs);
  });

  it('runs as its own source text (how the worker gets it)', () => {
    const copy = new Function(`return ${spinBackoffMs.toString()}`)() as typeof spinBackoffMs;
    expect(copy(16, 1, SPIN_BACKOFF)).toBe(spinBackoffMs(16, 1, SPIN_BACKOFF));
    expect(copy(16, 25, SPIN_BACKOFF)).toBe(SPIN_BACKOFF.baseMs);
  });
});
