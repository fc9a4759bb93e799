// Reads a `npm test` log (vitest and node:test output, each line possibly prefixed by nx with its
// project) into totals and the names of what failed, so CI's tail says which test broke.

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours
const COLOURS = /\u001b\[[0-9;]*m/g;
// nx's prefix: "@scope/name:" and one space, then the line as the tool printed it.
const PROJECT = /^(@\S+:) ?(.*)$/;

/** @param {string} log */
export function readTestLog(log) {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  /** @type {{project: string, name: string, error: string}[]} */
  const failures = [];
  const lines = log.replace(COLOURS, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const { project, text } = splitProject(lines[i]);
    const counter = /^# (pass|fail|skipped) (\d+)$/.exec(text);
    if (counter)
      totals[{ pass: 'passed', fail: 'failed', skipped: 'skipped' }[counter[1]]] += Number(counter[2]);
    const vitest = /^\s*Tests\s+(.*)\(\d+\)\s*$/.exec(text);
    if (vitest)
      for (const [, n, what] of vitest[1].matchAll(/(\d+) (passed|failed|skipped)/g))
        totals[what] += Number(n);
    // vitest's summary: " FAIL  file > suite > test" (or "file [ file ]" for a suite's hook), then the error.
    const fail = /^ FAIL {2}(.+?)\s*$/.exec(text);
    if (fail) failures.push({ project, name: fail[1], error: nextText(lines, i, project) });
    // vitest's errors outside any test.
    const uncaught = /^⎯+ (Uncaught Exception|Unhandled Rejection) ⎯+$/.exec(text);
    if (uncaught)
      failures.push({ project, name: uncaught[1].toLowerCase(), error: nextText(lines, i, project) });
    // node:test: a top-level "not ok N - name" (a subtest's is indented).
    const tap = /^not ok \d+ - (.+)$/.exec(text);
    if (tap) failures.push({ project, name: tap[1], error: tapError(lines, i, project) });
  }
  return { totals, failures };
}

function splitProject(line) {
  const m = PROJECT.exec(line);
  if (m) return { project: m[1].slice(0, -1), text: m[2] };
  return { project: '', text: line };
}

function nextText(lines, i, project) {
  for (let j = i + 1; j < Math.min(lines.length, i + 6); j++) {
    const next = splitProject(lines[j]);
    if (next.project === project && next.text.trim()) return next.text.trim();
  }
  return '';
}

// node:test's YAML block after "not ok": the `error:` line names what went wrong.
function tapError(lines, i, project) {
  for (let j = i + 1; j < Math.min(lines.length, i + 30); j++) {
    const next = splitProject(lines[j]);
    if (next.project !== project) continue;
    const m = /^\s*error:\s*(.*)$/.exec(next.text);
    // A one-line error is quoted; a longer one is a block ("|-") whose first line follows.
    if (m && !/^[|>][-+]?$/.test(m[1])) return m[1].replace(/^'|'$/g, '');
    if (m) return nextText(lines, j, project);
    if (/^\s*\.\.\.\s*$/.test(next.text)) break;
  }
  return '';
}

/** The closing lines: totals, then each failure with its first error line. */
export function formatTestLog({ totals, failures }) {
  const out = [`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`];
  for (const f of failures)
    out.push(`failed: ${f.project ? `${f.project}: ` : ''}${f.name}${f.error ? ` — ${f.error}` : ''}`);
  return out.join('\n');
}
