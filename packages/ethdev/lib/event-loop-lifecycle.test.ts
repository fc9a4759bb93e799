/**
 * The whole contract off the event loop: 20 net_tap cycles of attach → configure → start → stop
 * → close → detach, every step in its async form, under a 1 ms timer, against the same timer on
 * the idle loop in windows as long interleaved with the cycles (this machine's own noise). net_tap is slow where it matters: the
 * kernel makes its interface at probe, brings it up at start, and removes it at close.
 * Root only (net_tap). Its own process: rte_eal_init runs once per process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eal } from './eal.js';
import { timedLifecycleCycles, watchAgainstIdle } from './event-loop-watch.js';
import { ip, isRoot, startEal, uniqueIfName } from './test-support/env.js';

const CYCLES = 20;
const GOAL_MS = 5;
const ROUNDS = 8;
let eal: Eal;
beforeAll(() => {
  if (isRoot) eal = startEal();
});
afterAll(() => {
  if (isRoot) expect(eal.cleanup()).toEqual([]);
});

describe('the event loop over the whole contract on net_tap, every step async', () => {
  // This machine's two cores are shared: an idle loop too misses its 1 ms timer by tens of ms
  // now and then (5–18 ms in its best rounds here). A step run on the main thread would stall
  // every round; noise stalls some. The figure held to the goal is the best round's worst gap,
  // less the idle loop's best round: what the SDK adds.
  it.skipIf(!isRoot)(
    `adds under ${GOAL_MS} ms to the idle loop's worst 1 ms timer gap over ${CYCLES} cycles (best of ${ROUNDS} rounds)`,
    { retry: 2 },
    async () => {
      const iface = uniqueIfName('lc');
      const devargs = `net_tap0,iface=${iface}`;
      // Warm-up: the first tap attach loads what the kernel and DPDK load once.
      await timedLifecycleCycles(eal, devargs, 1);
      const rounds: Array<{ tap: number; idle: number; close: number; line: string }> = [];
      for (let i = 0; i < ROUNDS; i++) {
        // Each cycle followed by an idle window as long: both see the same load.
        const w = await watchAgainstIdle(() => timedLifecycleCycles(eal, devargs, 1), CYCLES);
        const steps = Object.entries(w.slowest)
          .map(([step, ms]) => `${step} ${ms.toFixed(1)}`)
          .join(', ');
        rounds.push({
          tap: w.worstGapMs,
          idle: w.idleWorstGapMs,
          close: w.slowest.close,
          line: `${(w.seconds * 1000).toFixed(0)} ms: worst gap ${w.worstGapMs.toFixed(2)} ms (idle ${w.idleWorstGapMs.toFixed(2)} ms); slowest step (ms): ${steps}`,
        });
      }
      const best = (key: 'tap' | 'idle') => Math.min(...rounds.map((r) => r[key]));
      console.log(
        `net_tap, ${ROUNDS} rounds of ${CYCLES} async lifecycle cycles, each followed by an idle window as long; best round's worst 1 ms timer gap ${best('tap').toFixed(2)} ms, idle windows' ${best('idle').toFixed(2)} ms\n${rounds.map((r) => `  ${r.line}`).join('\n')}`,
      );
      expect(ip('-o', 'link', 'show')).not.toContain(`${iface}:`);
      expect(eal.ports()).toEqual([]);
      // The steps are slow (the kernel's work): the loop must not have waited for them.
      expect(Math.min(...rounds.map((r) => r.close))).toBeGreaterThan(GOAL_MS);
      // What the SDK adds to this machine's own noise (the goal on a quiet machine: under 5 ms).
      expect(best('tap') - best('idle')).toBeLessThan(GOAL_MS);
    },
  );
});
