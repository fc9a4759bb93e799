// reports/matrix/releases.json: what the matrix last found on each release, one record per
// release, each command updating its own part (the tests and pmdinfo of `run`/the default form,
// the certification of `certify`), so the findings page (tools → docs) and the README table read
// one file. releases.md is the same as a table.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The format of releases.json: bumped when a field changes meaning. */
export const RELEASE_DATA_FORMAT = 1;

/** releases.json in `dir` ({ formatVersion, releases: { <id>: record } }), empty when absent. */
export function readReleaseData(dir) {
  const file = join(dir, 'releases.json');
  if (!existsSync(file)) return { formatVersion: RELEASE_DATA_FORMAT, releases: {} };
  const data = JSON.parse(readFileSync(file, 'utf8'));
  return data.formatVersion === RELEASE_DATA_FORMAT
    ? data
    : { formatVersion: RELEASE_DATA_FORMAT, releases: {} };
}

/**
 * Merges `part` into the release's record (each key replaced whole — `tests` package by
 * package —, with the time it was written: `<key>At`); a part that ran replaces an earlier skip, a skip is kept beside older data.
 */
export function updateReleaseData(dir, release, part) {
  const data = readReleaseData(dir);
  const now = new Date().toISOString();
  const before = data.releases[release.id] ?? {};
  const record = {
    ...before,
    id: release.id,
    debian: release.suite,
    source: release.source ? (release.source.tag ?? 'tree') : undefined,
  };
  if (!part.skipped) delete record.skipped;
  for (const [key, value] of Object.entries(part)) {
    if (value === undefined) continue;
    // A run of some packages replaces those packages' rows only.
    if (key === 'tests' && Array.isArray(before.tests)) {
      const ran = new Set(value.map((t) => t.package));
      record.tests = [...before.tests.filter((t) => !ran.has(t.package)), ...value];
    } else record[key] = value;
    record[`${key}At`] = now;
  }
  data.releases[release.id] = record;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'releases.json'), `${JSON.stringify(data, null, 2)}\n`);
  return record;
}

const ORDER = ['12', '23.11', '13', 'sid', '26.07', 'main'];
const SHORT = { CERTIFIED: 'C', 'CERTIFIED WITH WARNINGS': 'CW', FAILED: 'F', INCONCLUSIVE: 'I' };
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** A build's source for a table: the tag (`v23.11.7 of /mirror` → `v23.11.7`), or a tree's folder name, not this machine's path. */
const sourceLabel = (source) => {
  const tag = source.replace(/ of .*/, '');
  return tag.startsWith('/') ? `tree ${tag.split('/').at(-1)}` : tag;
};

/** One cell per fact of a release record. */
function cells(r) {
  const tests = (r.tests ?? []).reduce(
    (t, x) => ({ passed: t.passed + x.passed, failed: t.failed + x.failed, skipped: t.skipped + x.skipped }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  const p = r.pmdinfo;
  const c = r.certify;
  const counts = {};
  for (const v of Object.values(c?.verdicts ?? {})) counts[v.verdict] = (counts[v.verdict] ?? 0) + 1;
  const verdicts = Object.entries(counts)
    .map(([v, n]) => `${n} ${SHORT[v] ?? v}`)
    .join(', ');
  // A run of some DUTs only (`-- --only …`) is said, never taken for the default certification.
  const only = c?.args?.includes('--only') ? ` (--only ${c.args[c.args.indexOf('--only') + 1]})` : '';
  const e = c?.expectations;
  return {
    dpdk: r.build?.version ?? r.environment?.dpdk ?? c?.dpdk?.replace(/^DPDK /, '') ?? '',
    build: r.build
      ? `${sourceLabel(r.build.source)}: ninja ${Math.round(r.build.seconds.ninja)} s, prefix ${mb(r.build.bytes.prefix)}, build ${mb(r.build.bytes.build)}`
      : 'Debian',
    tests: r.tests ? `${tests.passed} / ${tests.failed} / ${tests.skipped}` : '',
    pmdinfo: p
      ? p.error
        ? `error: ${p.error}`
        : `${p.equal ? 'equal' : '**differs**'} (${p.theirs} records)`
      : '',
    source: p?.source ? `${p.source.drivers} drivers, ${p.source.detachable} detachable` : '',
    certify: verdicts && `${verdicts}${only}`,
    expectations: !c
      ? ''
      : !e
        ? 'not compared'
        : e.file
          ? `${e.file}: ${Object.entries(e.outcomes)
              .filter(([o]) => o !== 'PASS' && o !== 'SKIP')
              .map(([o, n]) => `${n} ${o}`)
              .join(', ')}${e.newFails.length ? ` (${e.newFails.join('; ')})` : ''}`
          : '**none shipped**',
  };
}

/** releases.json as a Markdown page: its heading and the table of `releasesTable`. */
export function formatReleasesMarkdown(data) {
  return `${['# The matrix per release', '', ...releasesTable(data)].join('\n')}\n`;
}

/**
 * releases.json as Markdown lines (a legend, then release × DPDK, build, tests, pmdinfo,
 * certification), for releases.md and the findings page (tools/findings).
 */
export function releasesTable(data) {
  const ids = Object.keys(data.releases).sort(
    (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99),
  );
  const out = [
    'Tests: passed / failed / skipped over the packages run. pmdinfo: pmd-probe against that DPDK’s',
    'own `dpdk-pmdinfo.py`. Verdicts of the default certification: C certified, CW with warnings,',
    'F failed, I inconclusive; expectations: the shipped file `--expect auto` reads.',
    '',
    '| release | DPDK | built | SDK tests | pmdinfo | source scan | certification | expectations |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const id of ids) {
    const r = data.releases[id];
    if (r.skipped && !r.tests && !r.certify) {
      out.push(`| ${id} | — | skipped: ${r.skipped} | | | | | |`);
      continue;
    }
    const c = cells(r);
    out.push(
      `| ${id} | ${c.dpdk} | ${c.build} | ${c.tests} | ${c.pmdinfo} | ${c.source} | ${c.certify} | ${c.expectations} |`,
    );
  }
  return out;
}
