/**
 * Playwright 1.64 on Node 20 loads the ES modules of its runner and of each worker through loader
 * hooks in a thread of their own (`module.register`): every import is a round trip to that thread,
 * which loads Playwright's transform (Babel, its cache) before it answers. The suite `lab run`
 * starts is compiled JavaScript (conformance's dist, one build; every package here is an ES module),
 * so Node's own loader loads it as it is: Playwright's `PW_DISABLE_TS_ESM` skips the hooks. In a
 * QEMU guest under TCG the hooks cost the runner and each worker about half a minute before their
 * first test (docs/measurements.md, 13th session); no transform, so no transform cache either.
 */
export const NATIVE_ESM_ENV: Readonly<Record<string, string>> = { PW_DISABLE_TS_ESM: '1' };
