// The closing summary of CI's log: totals and each failure's name and first error line, from
// output vitest 4 and node:test really print (captured from failing runs), behind nx's prefixes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTestLog, readTestLog } from './test-log.mjs';

const nx = (project, text) =>
  text
    .split('\n')
    .map((l) => `\u001b[1m\u001b[93m${project}:\u001b[39m\u001b[22m ${l}`)
    .join('\n');

const VITEST = ` ❯ a.test.ts (3 tests | 2 failed) 122ms
     × fails here 16ms
     ✓ ok 0ms

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 2 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  a.test.ts > group > fails here
AssertionError: expected 1 to be 2 // Object.is equality

- Expected
⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/2]⎯

 FAIL  a.test.ts > times out
Error: Test timed out in 100ms.

 FAIL  b.test.ts [ b.test.ts ]
Error: cleanup broke

⎯⎯⎯⎯⎯ Uncaught Exception ⎯⎯⎯⎯⎯
Error: late boom

 Test Files  2 failed (2)
      Tests  2 failed | 1 passed | 1 skipped (4)
     Errors  1 error`;

const TAP = `TAP version 13
# Subtest: adds
not ok 1 - adds
  ---
  duration_ms: 2.66672
  failureType: 'testCodeFailure'
  error: |-
    Expected values to be strictly equal:

    2 !== 3
  code: 'ERR_ASSERTION'
  ...
# Subtest: quoted
not ok 2 - quoted
  ---
  error: 'boom'
  ...
# Subtest: outer
    not ok 1 - inner
      ---
      error: 'deep'
      ...
ok 3 - fine
# tests 4
# pass 1
# fail 2
# skipped 1`;

test('names every failed test, suite and uncaught error with its first error line, per nx project', () => {
  const log = `${nx('@x/conformance', VITEST)}\n${nx('@x/tools', TAP)}\n NX   Running targets failed`;
  const { totals, failures } = readTestLog(log);
  assert.deepEqual(totals, { passed: 2, failed: 4, skipped: 2 });
  assert.deepEqual(
    failures.map((f) => [f.project, f.name, f.error]),
    [
      [
        '@x/conformance',
        'a.test.ts > group > fails here',
        'AssertionError: expected 1 to be 2 // Object.is equality',
      ],
      ['@x/conformance', 'a.test.ts > times out', 'Error: Test timed out in 100ms.'],
      ['@x/conformance', 'b.test.ts [ b.test.ts ]', 'Error: cleanup broke'],
      ['@x/conformance', 'uncaught exception', 'Error: late boom'],
      ['@x/tools', 'adds', 'Expected values to be strictly equal:'],
      ['@x/tools', 'quoted', 'boom'],
    ],
    "a subtest's indented 'not ok' is its parent's business",
  );
  const text = formatTestLog({ totals, failures });
  assert.match(text, /^tests: 2 passed, 4 failed, 2 skipped\n/);
  assert.match(
    text,
    /\nfailed: @x\/conformance: a\.test\.ts > times out — Error: Test timed out in 100ms\.\n/,
  );
});

test('a log without nx prefixes and without failures is totals alone', () => {
  const { totals, failures } = readTestLog(' Test Files  1 passed (1)\n      Tests  3 passed (3)\n');
  assert.deepEqual(totals, { passed: 3, failed: 0, skipped: 0 });
  assert.deepEqual(failures, []);
  assert.equal(formatTestLog({ totals, failures }), 'tests: 3 passed, 0 failed, 0 skipped');
});

test("a conformance run's own output that merely says FAIL is no vitest failure", () => {
  const { failures } = readTestLog(
    nx('@x/conformance', 'NEW FAIL net_null check 7\nFAIL net_ring\n  FAIL  indented'),
  );
  assert.deepEqual(failures, []);
});
