#!/usr/bin/env node
// Reads a test log on stdin (vitest and node:test summaries, possibly prefixed by nx with the project name)
// and prints one closing line: "tests: N passed, N failed, N skipped".
import { text } from 'node:stream/consumers';

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours
const log = (await text(process.stdin)).replace(/\u001b\[[0-9;]*m/g, '');
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of log.split('\n')) {
  // node:test's closing counters: "# pass 3", "# fail 0", "# skipped 0".
  const node = /^(?:\S+:\s+)?# (pass|fail|skipped) (\d+)$/.exec(line);
  if (node) totals[{ pass: 'passed', fail: 'failed', skipped: 'skipped' }[node[1]]] += Number(node[2]);
  const m = /^(?:\S+:\s+)?\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!m) continue;
  for (const [, n, what] of m[1].matchAll(/(\d+) (passed|failed|skipped)/g)) totals[what] += Number(n);
}
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
