// The matrix's pure parts: Debian mirror and cache key, the shell script that enters a root
// filesystem in a private mount namespace, vitest's JSON results, and the results table. No side
// effects here, and no import of a built package (inside.mjs loads this in a release's work copy
// before anything is built): tools/matrix/*.test.mjs test them with injected inputs.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/** Bumped when the way a root filesystem is made changes, so older caches are rebuilt. */
export const ROOTFS_FORMAT = 1;

/**
 * The first Debian mirror (http or https, `…/debian`, not the security archive) in APT's sources:
 * one-line `deb URI suite …` entries and deb822 `URIs:` fields, given as file texts.
 */
export function mirrorFromSources(texts) {
  const uris = [];
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
      if (oneLine) uris.push(oneLine[1]);
      const deb822 = /^URIs:\s*(.+)$/i.exec(line);
      if (deb822) uris.push(...deb822[1].trim().split(/\s+/));
    }
  }
  const mirror = uris.find((u) => /^https?:\/\/[^/]+\/(?:.*\/)?debian\/?$/.test(u));
  return mirror ? mirror.replace(/\/$/, '') : null;
}

/**
 * The cache key of a root filesystem: what debootstrap and apt were asked for. Package order
 * does not matter; the suite, the mirror, the packages, the apt options and the format do.
 */
export function cacheKey({ suite, mirror, packages, aptOptions = [], variant = 'minbase' }) {
  const canonical = JSON.stringify({
    format: ROOTFS_FORMAT,
    suite,
    mirror,
    variant,
    packages: [...new Set(packages)].sort(),
    aptOptions,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Single-quoted for sh. */
export function shq(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/**
 * The script `unshare -m --propagation private sh -c` runs to enter a root filesystem: mounts
 * made only in that private namespace (they vanish with it, whatever ends the run), then chroot.
 * `binds` are extra [hostDir, dirInRoot] pairs (read-write). `env` is passed through `env -i`.
 */
export function enterScript({ root, command, binds = [], env = {}, cwd = '/' }) {
  const r = resolve(root);
  const lines = [
    'set -e',
    // Belt and braces: private propagation, so nothing made here reaches the host's namespace.
    'mount --make-rprivate /',
    // The root a mount point of its own, as a container's is: `ip netns`/`ip -n` and `unshare -m`
    // inside remount / (`--make-rslave /`), which fails on a plain directory (EINVAL).
    `mount --bind ${shq(r)} ${shq(r)}`,
    `mount -t proc proc ${shq(`${r}/proc`)}`,
    `mount --rbind /sys ${shq(`${r}/sys`)}`,
    `mount --rbind /dev ${shq(`${r}/dev`)}`,
    `mount -t tmpfs -o mode=755 tmpfs ${shq(`${r}/run`)}`,
    `mount -t tmpfs -o mode=1777 tmpfs ${shq(`${r}/tmp`)}`,
  ];
  for (const [from, to] of binds) {
    lines.push(`mkdir -p ${shq(`${r}${to}`)}`, `mount --bind ${shq(from)} ${shq(`${r}${to}`)}`);
  }
  const vars = Object.entries(env).map(([k, v]) => shq(`${k}=${v}`));
  lines.push(
    `exec chroot ${shq(r)} /usr/bin/env -i ${vars.join(' ')} /bin/sh -c ${shq(`cd ${shq(cwd)} && ${command}`)}`,
  );
  return lines.join('\n');
}

/**
 * A vitest JSON report (`--reporter=json`) reduced to counts: passed, failed, skipped (skipped,
 * todo and pending together), failed test files, and what failed with its first message line.
 * A file that fails outside its tests (at import, or in a beforeAll hook) is a failed file: its
 * tests are skipped by vitest and counted so, and its message is listed.
 */
export function vitestCounts(report) {
  const counts = { passed: 0, failed: 0, skipped: 0, failedFiles: 0, failures: [] };
  for (const file of report.testResults ?? []) {
    const assertions = file.assertionResults ?? [];
    const name = String(file.name ?? '').replace(/^.*\/(packages|conformance|hil|tools)\//, '$1/');
    for (const t of assertions) {
      if (t.status === 'passed') counts.passed++;
      else if (t.status === 'failed') {
        counts.failed++;
        const message = String(t.failureMessages?.[0] ?? '').split('\n')[0];
        counts.failures.push(`${t.fullName ?? t.title}: ${message}`);
      } else counts.skipped++;
    }
    if (file.status === 'failed') counts.failedFiles++;
    if (file.status === 'failed' && file.message) {
      const skipped = assertions.filter((t) => t.status !== 'passed' && t.status !== 'failed').length;
      const what = assertions.length === 0 ? 'file failed' : `file failed, ${skipped} of its tests skipped`;
      counts.failures.push(`${name} (${what}): ${String(file.message).split('\n')[0]}`);
    }
    // A file that failed to load has no tests: count it as one failed test too.
    if (assertions.length === 0 && file.status === 'failed') counts.failed++;
  }
  return counts;
}

/**
 * One row per release × package. A row is { release, suite, dpdk, node, package, passed, failed,
 * skipped, failedFiles, status, note }; status is 'passed', 'failed' (a test failed, or the build), or
 * 'error' (nothing ran: the release could not be prepared).
 */
/** A row's result word (a failure is FAIL); a source release with no build is SKIPPED, its note says why. */
const STATUS_WORD = { passed: 'PASS', error: 'ERROR', skipped: 'SKIPPED' };

export function formatTable(rows) {
  const head = [
    'release',
    'DPDK',
    'Node',
    'package',
    'passed',
    'failed',
    'skipped',
    'files failed',
    'result',
  ];
  const body = rows.map((r) => [
    `${r.release} (${r.suite})`,
    r.dpdk ?? '',
    r.node ?? '',
    r.package,
    String(r.passed ?? 0),
    String(r.failed ?? 0),
    String(r.skipped ?? 0),
    String(r.failedFiles ?? 0),
    STATUS_WORD[r.status] ?? 'FAIL',
  ]);
  const numeric = new Set([4, 5, 6, 7]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const cell = (s, i) => (numeric.has(i) ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (cells) => cells.map(cell).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The same rows as a Markdown table, with each failed row's note below it. */
export function formatMarkdown(rows, { title = 'Release matrix', when = '' } = {}) {
  const out = [`# ${title}`, ''];
  if (when) out.push(when, '');
  out.push('| release | DPDK | Node | package | passed | failed | skipped | files failed | result |');
  out.push('|---|---|---|---|--:|--:|--:|--:|---|');
  for (const r of rows) {
    const result = STATUS_WORD[r.status] ?? '**FAIL**';
    out.push(
      `| ${r.release} (${r.suite}) | ${r.dpdk ?? ''} | ${r.node ?? ''} | ${r.package} | ${r.passed ?? 0} | ${r.failed ?? 0} | ${r.skipped ?? 0} | ${r.failedFiles ?? 0} | ${result} |`,
    );
  }
  const notes = rows.filter((r) => r.status !== 'passed' && (r.note || r.failures?.length));
  if (notes.length > 0) {
    out.push('', '## What failed or was skipped', '');
    for (const r of notes) {
      out.push(`- **${r.release} ${r.package}**${r.note ? `: ${r.note}` : ''}`);
      for (const f of (r.failures ?? []).slice(0, 20)) out.push(`  - ${f.replace(/\|/g, '\\|')}`);
      if ((r.failures?.length ?? 0) > 20) out.push(`  - … and ${r.failures.length - 20} more`);
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * node:test's closing counters in a log, TAP (`# pass 3`, Node 20's default off a terminal) or
 * spec (`ℹ pass 3`, Node 22+), possibly prefixed by nx with the project name.
 */
export function nodeTestCounts(log) {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const key = { pass: 'passed', fail: 'failed', skipped: 'skipped', todo: 'skipped' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours
  for (const line of log.replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
    const m = /^(?:\S+:\s+)?(?:#|ℹ) (pass|fail|skipped|todo) (\d+)\s*$/.exec(line);
    if (m) counts[key[m[1]]] += Number(m[2]);
    const failed = /^(?:\S+:\s+)?not ok \d+ - (.*)$/.exec(line);
    if (failed) counts.failures.push(failed[1]);
  }
  return counts;
}

const SHORT_VERDICT = {
  CERTIFIED: 'CERTIFIED',
  'CERTIFIED WITH WARNINGS': 'WARNINGS',
  FAILED: '**FAILED**',
  INCONCLUSIVE: 'INCONCLUSIVE',
};

/**
 * The certification of each release as one Markdown table, DUT × release: the verdict and the
 * checks that did not pass (`7` a PMD's failure, `14(env)` one owned by the environment, DPDK's
 * core or the suite, `3 skip`). `runs` are { release, summary?, error?, outcome? } where summary
 * is certify's summary.json.
 */
export function formatCertifyMarkdown(runs, { when = '' } = {}) {
  const out = ['# Default certification per release', ''];
  if (when) out.push(when, '');
  const dutNames = [...new Set(runs.flatMap((r) => r.summary?.duts.map((d) => d.name) ?? []))];
  const head = runs.map((r) => {
    const dpdk = r.summary?.duts[0]?.dpdkVersion ?? r.outcome?.environment?.dpdk ?? '';
    return `${r.release.id} (${dpdk.replace(/^DPDK /, '') || '?'})`;
  });
  out.push(`| DUT | ${head.join(' | ')} |`, `|---|${head.map(() => '---').join('|')}|`);
  for (const name of dutNames) {
    const cells = runs.map((r) => {
      if (!r.summary) return 'ERROR';
      const dut = r.summary.duts.find((d) => d.name === name);
      if (!dut) return '—';
      const notPassed = dut.checks
        .filter((c) => c.status !== 'PASS')
        .map((c) =>
          c.status === 'SKIP'
            ? `${c.id} skip`
            : (c.fault ?? 'pmd') === 'pmd'
              ? `${c.id}`
              : `${c.id}(${c.fault})`,
        );
      return `${SHORT_VERDICT[dut.verdict] ?? dut.verdict}${notPassed.length ? `: ${notPassed.join(', ')}` : ''}`;
    });
    out.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  const errors = runs.filter((r) => !r.summary);
  if (errors.length) {
    out.push('');
    for (const r of errors) out.push(`- **${r.release.id}**: ${r.error}`);
  }
  return `${out.join('\n')}\n`;
}

const ratio = (x) => (typeof x === 'number' ? `${x.toFixed(2)}×` : '—');
const ms = (x) => (typeof x === 'number' ? `${x.toFixed(1)} ms` : '—');

const num = (x, digits = 2) => (typeof x === 'number' ? x.toFixed(digits) : '—');
const pair = (a, b) => `${ratio(a)} / ${ratio(b)}`;
const kib = (bytes) => (typeof bytes === 'number' ? (bytes / 1024).toFixed(0) : '—');
const perCycle = (b) => (typeof b === 'number' ? b.toFixed(0) : '—');

/** A run's label: release, DPDK and Node (a release run with another Node has its own id). */
const label = (r) => `${r.release.id} (${r.figures.dpdk}, Node ${r.figures.node.replace(/^v/, '')})`;

/**
 * Issue 25's table: per release and length, the SDK's hotplug cycle (net_null attach → close →
 * detach) as ratios taken within each round (wall / CPU): sync to the four-call floor and to C,
 * async to sync; CPU µs beside; each side's heap growth (DPDK's, V8's after a gc); the heap
 * table's control (net_ring, which leaks nothing, beside net_null's configure leak); and the
 * event loop over the whole contract against its interleaved idle control.
 */
function hotplugTable(ok) {
  const out = [
    '## The hotplug cycle per release and length (wall / CPU; medians of per-round ratios)',
    '',
    '| release (DPDK, Node) | device@cycles | C µs CPU | floor µs CPU | sync µs CPU | async µs CPU | sync ÷ floor | sync ÷ C | async ÷ sync | 2 empty round trips µs CPU | DPDK heap Δ KiB: C / sync / async | JS heap Δ KiB: sync / async |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of ok) {
    for (const [key, h] of Object.entries(r.figures.hotplugRuns ?? {})) {
      out.push(
        `| ${label(r)} | ${key} | ${num(h.c?.cpuUsPerCycle)} | ${num(h.floor?.cpuUsPerCycle)} | ${num(h.sync?.cpuUsPerCycle)} | ${num(h.async?.cpuUsPerCycle)} | ${pair(h.sync?.vsFloor, h.sync?.cpuVsFloor)} | ${pair(h.sync?.vsC, h.sync?.cpuVsC)} | ${pair(h.async?.vsSync, h.async?.cpuVsSync)} | ${num(h.asyncEmpty?.cpuUsPerCycle)} | ${kib(h.c?.dpdkHeapGrowthBytes)} / ${kib(h.sync?.dpdkHeapGrowthBytes)} / ${kib(h.async?.dpdkHeapGrowthBytes)} | ${kib(h.sync?.heapGrowthBytes)} / ${kib(h.async?.heapGrowthBytes)} |`,
      );
    }
  }
  out.push(
    '',
    '## DPDK heap growth in the cycle with a configure, bytes a cycle: C / SDK (net_ring: the control that does not leak)',
    '',
    '| release (DPDK, Node) | net_null0 | net_ring0 |',
    '|---|--:|--:|',
  );
  for (const r of ok) {
    const d = r.figures.dpdkHeap ?? {};
    const cell = (dev) =>
      d[dev] ? `${perCycle(d[dev].cBytesPerCycle)} / ${perCycle(d[dev].sdkBytesPerCycle)}` : '—';
    out.push(`| ${label(r)} | ${cell('net_null0')} | ${cell('net_ring0')} |`);
  }
  out.push(
    '',
    '## The event loop: worst 1 ms timer gap over 20 net_tap cycles, against idle windows interleaved in the same process (ms; medians of rounds, each round beside as gap/idle)',
    '',
    '| release (DPDK, Node) | cycle | worst gap | idle control | excess (goal < 5) | best round: gap / idle | rounds |',
    '|---|---|--:|--:|--:|--:|---|',
  );
  for (const r of ok) {
    const e = r.figures.eventLoop;
    for (const [name, f] of [
      ['attach → configure → start → stop → close → detach', e?.lifecycle],
      ['attach → close → detach', e?.tap],
    ]) {
      const rounds = (f?.rounds ?? [])
        .map((x) => `${num(x.worstGapMs, 1)}/${num(x.idleWorstGapMs, 1)}`)
        .join(' ');
      out.push(
        `| ${label(r)} | ${name} | ${num(f?.worstGapMs, 1)} | ${num(f?.idleWorstGapMs, 1)} | ${num(f?.excessMs, 1)} | ${num(f?.bestRoundWorstGapMs, 1)} / ${num(f?.bestRoundIdleWorstGapMs, 1)} | ${rounds || 'not run'} |`,
      );
    }
  }
  return out;
}

/**
 * The bench per release (`cli.mjs bench`): each row a figure as a ratio to the C reference of the
 * same release and run (wall, and CPU time in brackets), so releases compare by ratio, never by
 * one noisy absolute number; then issue 25's per-release table; errors listed below.
 */
export function formatBenchMarkdown(runs, { when = '' } = {}) {
  const out = ['# Bench per release (ratios to C, same release, same run; CPU time in brackets)', ''];
  if (when) out.push(when, '');
  const ok = runs.filter((r) => r.figures);
  const head = ok.map((r) => `${r.release.id} (${r.figures.dpdk}, Node ${r.figures.node})`);
  out.push(`| row | ${head.join(' | ')} |`, `|---|${head.map(() => '---').join('|')}|`);
  const both = (f) => (f ? `${ratio(f.vsC)} (${ratio(f.cpuVsC)})` : '—');
  const rows = [
    ['C hotplug cycle, µs', (f) => (f.hotplug?.c ? f.hotplug.c.usPerCycle.toFixed(2) : '—')],
    ['four DPDK calls through koffi (floor)', (f) => both(f.hotplug?.floor)],
    ['SDK attachSync/detachSync', (f) => both(f.hotplug?.sync)],
    ['SDK attach/detach (async)', (f) => both(f.hotplug?.async)],
    ['testpmd (DTS-style)', (f) => ratio(f.hotplug?.testpmd?.vsC)],
    ['net_ring bursts, packed', (f) => both(f.bursts?.net_ring0?.packed)],
    ['net_null bursts, packed', (f) => both(f.bursts?.net_null0?.packed)],
    [
      'event loop, whole contract on net_tap: worst gap less idle',
      (f) => ms(f.eventLoop?.lifecycle?.excessMs),
    ],
  ];
  for (const [name, cell] of rows) out.push(`| ${name} | ${ok.map((r) => cell(r.figures)).join(' | ')} |`);
  out.push('', ...hotplugTable(ok));
  const errors = runs.filter((r) => !r.figures);
  if (errors.length) {
    out.push('');
    for (const r of errors) out.push(`- **${r.release.id}**: ${r.error}`);
  }
  return `${out.join('\n')}\n`;
}
