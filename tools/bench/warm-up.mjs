// How many cycles a Node row runs before its measured loop: 2000 (fewer for a shorter run), or
// BENCH_WARMUP. V8 optimizes a function once it has run enough of its bytecode, so the SDK's
// many small functions, each run once a cycle, reach optimized code later than the floor's one
// loop (instructions.mjs and docs/measurements.md say how much later): a longer warm-up gives
// each side's steady state, the default what a process of that many cycles pays.
export const warmUp = (cycles) =>
  process.env.BENCH_WARMUP === undefined ? Math.min(2000, cycles) : Number(process.env.BENCH_WARMUP);
