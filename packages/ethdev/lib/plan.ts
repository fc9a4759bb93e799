/**
 * A control operation written once for both forms: a generator that yields each DPDK call it
 * makes ({@link Step}) and gets its result back. The sync form makes every call from this thread
 * ({@link runPlan}; through the worker, blocking, while it spins: binding.ts `viaHotWorker`); the async form makes each on a libuv worker thread, one after the other
 * ({@link startPlan}), while the JS between calls (checks, the table's bookkeeping) runs on
 * this thread. Either way one call at a time: DPDK's control API is not thread safe.
 */
import type { OffThreadFn } from './dpdk-binding.js';

/** One DPDK call of a plan. */
export interface Step {
  // biome-ignore lint/suspicious/noExplicitAny: a step carries any binding call; its result goes back typed by the plan
  readonly fn: OffThreadFn<any[], any>;
  readonly args: readonly unknown[];
}

/** A control operation: yields its DPDK calls, returns its result. */
// biome-ignore lint/suspicious/noExplicitAny: each step's result type is the step's own
export type Plan<T> = Generator<Step, T, any>;

/** A step: `const rc: number = yield call(dpdk.rte_eth_dev_stop, port)`. */
export function call<A extends unknown[], R>(fn: OffThreadFn<A, R>, ...args: A): Step {
  return { fn, args };
}

/** Runs a plan on this thread. */
export function runPlan<T>(plan: Plan<T>): T {
  let next = plan.next();
  while (!next.done) next = plan.next(next.value.fn(...next.value.args));
  return next.value;
}

/**
 * Runs a plan with each step on a worker thread; `done` gets its result or what it threw (at
 * once, on this thread, when the plan makes no call or its first cannot start). A
 * plan is never stopped half-way: DPDK cannot cancel a call, and the table must follow every
 * call that was made.
 */
export function startPlan<T>(plan: Plan<T>, done: (error: unknown, result: T) => void): void {
  const advance = (input: unknown): void => {
    let next: IteratorResult<Step, T>;
    try {
      next = plan.next(input);
    } catch (error) {
      done(error, undefined as T);
      return;
    }
    if (next.done) {
      done(null, next.value);
      return;
    }
    try {
      next.value.fn.async(...next.value.args, (error: unknown, result: unknown) => {
        if (error) done(error, undefined as T);
        else advance(result);
      });
    } catch (error) {
      // Never started (koffi refused the arguments, or too many async calls).
      done(error, undefined as T);
    }
  };
  advance(undefined);
}
