/**
 * The certificate a PMD author can publish: one self-contained HTML page beside Playwright's
 * report that stands alone — what was run, on what (suite, Node, DPDK, kernel, machine, command
 * line, settings), the DUT × check matrix (result, class, whose) with every reason printed
 * (numbered findings below the matrix, every check's details per DUT), what each verdict stands
 * without (required checks skipped or not run), DPDK's core findings, leak slopes, latency, the
 * charts of the cycles, and links to the run's other reports. Written with the summary.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { classOf, PCI_CHECK_SPECS, VDEV_CHECKS } from '../model/catalogue.js';
import { lineChart } from './charts.js';
import type { RunFacts } from '../model/run-facts.js';
import {
  attemptLine,
  type CheckResult,
  coverageLine,
  coverageOf,
  type DutSummary,
  factLines,
  type ReportLink,
  type RunSummary,
  type Verdict,
} from '../model/summary.js';

/** Per DUT, the series drawn as charts (check 6's cycles), when the run kept them. */
export type CycleSeries = Record<string, Record<string, number[]>>;

export interface CertificateOptions {
  /** Charts per DUT. */
  series?: CycleSeries;
  /** The run's other reports (`reportLinks(folder)`); default: the summary's `reports`. */
  links?: readonly ReportLink[];
}

const esc = (s: unknown) =>
  String(s).replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const VERDICT_CLASS: Record<Verdict, string> = {
  CERTIFIED: 'ok',
  'CERTIFIED WITH WARNINGS': 'warn',
  FAILED: 'bad',
  INCONCLUSIVE: 'unknown',
};

/** The reports a run folder holds, by relative path: only those that exist (traces: each one). */
export function reportLinks(dir: string): ReportLink[] {
  const links: ReportLink[] = [];
  for (const [label, href] of [
    ["Playwright's HTML report", 'html/index.html'],
    ['JUnit', 'junit.xml'],
    ["Playwright's JSON results", 'results.json'],
    ['summary (Markdown)', 'summary.md'],
    ['summary (JSON)', 'summary.json'],
    ['expectations', 'expectations.md'],
  ] as const)
    if (existsSync(join(dir, href))) links.push({ label, href });
  const results = join(dir, 'results');
  const traces = (folder: string): string[] => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries.flatMap((e) =>
      e.isDirectory()
        ? traces(join(folder, e.name))
        : e.name === 'trace.zip'
          ? [relative(dir, join(folder, e.name))]
          : [],
    );
  };
  // results/<DUT>/<spec>-<check>-<title…>/trace.zip (Playwright's folder per test).
  for (const href of traces(results).sort()) {
    const [, dut, test] = href.split('/');
    const check = Number(/^[a-z]+-(\d+)-/.exec(test ?? '')?.[1] ?? Number.NaN);
    links.push(
      Number.isInteger(check) && dut
        ? { label: `trace ${dut} check ${check}`, href, dut, check }
        : { label: `trace ${relative('results', href).replace(/\/trace\.zip$/, '')}`, href },
    );
  }
  return links;
}

const details = (c: CheckResult) =>
  [c.reason, c.needs && `needs ${c.needs}`, ...(c.evidence ?? []), ...c.notes].filter(Boolean) as string[];

/** A finding: a matrix cell that did not pass, numbered, printed under the matrix. */
interface Finding {
  n: number;
  dut: string;
  check: CheckResult;
}

const anchor = (dut: string, id: number) => `${dut}-check-${id}`;

function cell(dut: string, c: CheckResult | undefined, finding: Finding | undefined): string {
  if (!c) return '<td class="none" data-status="none">·</td>';
  const whose = c.status === 'FAIL' ? (c.fault ?? 'pmd') : '';
  const css =
    c.status === 'PASS'
      ? 'ok'
      : c.status === 'SKIP'
        ? 'skip'
        : classOf(c.id) === 'required' && whose === 'pmd'
          ? 'bad'
          : 'warn';
  const title = details(c).join('\n');
  const mark = finding ? `<sup><a href="#finding-${finding.n}">${finding.n}</a></sup>` : '';
  // "environment" in full would widen every column: the matrix abbreviates it (the legend says so).
  const short = whose === 'environment' ? 'env' : whose;
  return `<td class="${css}" title="${esc(title)}" data-check="${c.id}" data-status="${c.status}"><a href="#${esc(anchor(dut, c.id))}">${c.status}</a>${mark}${short ? `<br><small>${short}</small>` : ''}</td>`;
}

function dutSection(d: DutSummary, series: Record<string, number[]> | undefined): string {
  const parts = [
    `<section id="${esc(d.name)}"><h2>${esc(d.name)} <span class="${VERDICT_CLASS[d.verdict]}">${esc(d.verdict)}</span></h2>`,
    `<p>PMD <code>${esc(d.pmd)}</code>, devargs <code>${esc(d.devargs)}</code>, ${esc(d.dpdkVersion)}.${d.traffic ? ` Traffic: ${esc(d.traffic)}.` : ''}${d.runner ? ` Runner ${esc(d.runner)}${d.machine ? ` on ${esc(d.machine.hostname)} (${esc(d.machine.kernel)}, DPDK ${esc(d.machine.dpdk)})` : ''}.` : ''}</p>`,
  ];
  if (d.attempt) parts.push(`<p class="attempt">Results of the runner's ${esc(attemptLine(d.attempt))}.</p>`);
  if (d.verdictReasons?.length)
    parts.push(`<ul>${d.verdictReasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  const gaps = coverageOf(d);
  if (gaps.length) parts.push(`<p class="coverage"><b>Coverage:</b> ${esc(coverageLine(gaps))}.</p>`);
  if (d.checks.length) {
    parts.push(
      '<table class="checks"><tr><th>check</th><th>class</th><th>result</th><th>whose</th><th>details</th></tr>',
    );
    for (const c of d.checks) {
      parts.push(
        `<tr id="${esc(anchor(d.name, c.id))}"><td>${esc(c.title)}</td><td>${esc(c.class ?? classOf(c.id))}</td><td>${c.status}</td><td>${c.status === 'FAIL' ? esc(c.fault ?? 'pmd') : ''}</td><td>${details(c).map(esc).join('<br>')}${c.repro ? `<br><a href="${esc(c.repro)}">reproducer</a>` : ''}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  if (d.leaks?.length) {
    parts.push(
      '<table><tr><th>resource</th><th>slope per cycle</th><th>fitted growth</th><th>leaks</th></tr>',
    );
    for (const l of d.leaks)
      parts.push(
        `<tr><td>${esc(l.resource)}</td><td>${+l.slope.toFixed(3)}</td><td>${+l.growth.toFixed(1)}</td><td class="${l.leaks ? 'bad' : 'ok'}">${l.leaks ? 'yes' : 'no'}</td></tr>`,
      );
    parts.push('</table>');
  }
  if (d.latency) {
    const { attachMs: a, detachMs: x } = d.latency;
    const f = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(3));
    parts.push(
      `<p>Latency over ${d.latency.cycles} cycles: attach p50 ${f(a.p50)} ms, p99 ${f(a.p99)} ms, max ${f(a.max)} ms; detach p50 ${f(x.p50)} ms, p99 ${f(x.p99)} ms, max ${f(x.max)} ms.</p>`,
    );
  }
  for (const [name, values] of Object.entries(series ?? {}))
    if (values.length > 1) parts.push(`<figure>${lineChart(`${name} after each cycle`, values)}</figure>`);
  parts.push('</section>');
  return parts.join('\n');
}

/**
 * The certificate page of `run` (one certify run, or a lab's merged summaries), on the machine
 * `facts` describe (default: the summary's own `facts`; a merge passes its own or none).
 */
export function certificateHtml(
  run: RunSummary,
  facts: RunFacts | undefined = run.facts,
  options: CertificateOptions = {},
): string {
  const series = options.series ?? {};
  const links = options.links ?? run.reports ?? [];
  const ids = [
    ...new Set(run.duts.flatMap((d) => [...(d.planned ?? []), ...d.checks.map((c) => c.id)])),
  ].sort((a, b) => a - b);
  const title = (id: number) =>
    (VDEV_CHECKS as Record<number, { title: string }>)[id]?.title ??
    (PCI_CHECK_SPECS as Record<number, { title: string }>)[id]?.title ??
    `check ${id}`;
  const head = ids
    .map((id) => `<th title="${esc(title(id))}">${id}<br><small>${classOf(id)}</small></th>`)
    .join('');
  const findings: Finding[] = [];
  for (const d of run.duts)
    for (const c of d.checks)
      if (c.status !== 'PASS') findings.push({ n: findings.length + 1, dut: d.name, check: c });
  const findingOf = (dut: string, id: number) => findings.find((f) => f.dut === dut && f.check.id === id);
  const rows = run.duts.map(
    (d) =>
      `<tr data-dut="${esc(d.name)}"><th><a href="#${esc(d.name)}">${esc(d.name)}</a>${d.attempt ? ` <small>attempt ${d.attempt.number}</small>` : ''}</th><td class="${VERDICT_CLASS[d.verdict]} verdict">${esc(d.verdict)}</td>${ids
        .map((id) =>
          cell(
            d.name,
            d.checks.find((c) => c.id === id),
            findingOf(d.name, id),
          ),
        )
        .join('')}</tr>`,
  );
  // A trace that belongs to a finding is linked from it; the others from the reports line.
  const byFinding = (l: ReportLink) => findings.some((f) => f.dut === l.dut && f.check.id === l.check);
  const traceOf = (dut: string, id: number) => {
    const t = links.find((l) => l.dut === dut && l.check === id);
    return t ? ` (<a href="${esc(t.href)}">trace</a>)` : '';
  };
  const findingList = findings.length
    ? `<h2>Findings</h2><p>Every check that did not pass, numbered as in the matrix.</p><ol id="findings">${findings
        .map(
          ({ n, dut, check: c }) =>
            `<li id="finding-${n}"><b>${esc(dut)}</b>, check ${c.id} ${c.status}${c.status === 'FAIL' ? ` (${esc(c.class ?? classOf(c.id))}, ${esc(c.fault ?? 'pmd')}'s)` : ` (${esc(c.class ?? classOf(c.id))})`}: ${details(c).map(esc).join('; ') || 'no reason given'}${traceOf(dut, c.id)}</li>`,
        )
        .join('')}</ol>`
    : '';
  const coverage = run.duts.map((d) => ({ d, gaps: coverageOf(d) })).filter(({ gaps }) => gaps.length);
  const coverageList = coverage.length
    ? `<h2>Coverage</h2><p>Required checks a verdict stands without:</p><ul id="coverage">${coverage
        .map(
          ({ d, gaps }) =>
            `<li data-dut="${esc(d.name)}"><b>${esc(d.name)}</b> (${esc(d.verdict)}): ${esc(coverageLine(gaps))}</li>`,
        )
        .join('')}</ul>`
    : '';
  const about = factLines(facts);
  const core = run.coreFindings?.length
    ? `<h2>DPDK core findings</h2><ul>${run.coreFindings.map((f) => `<li>${esc(f.dpdkVersion)}, check ${f.check}: ${esc(f.reason)} (${esc(f.evidence)})</li>`).join('')}</ul>`
    : '';
  const listed = links.filter((l) => !byFinding(l));
  const reports = listed.length
    ? `<p id="reports">Reports: ${listed.map((l) => `<a href="${esc(l.href)}">${esc(l.label)}</a>`).join(' · ')}${listed.length < links.length ? ' · the trace of each failed check, with its finding' : ''}</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dpdk-hotplug certification</title>
<style>
body{font-family:sans-serif;margin:1em;max-width:1600px}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 4px;font-size:12px;vertical-align:top}td small,th small{color:#666;font-size:10px}
#matrix td,#matrix th{text-align:center}#matrix th:first-child{text-align:left;white-space:nowrap}
#matrix .verdict{min-width:7em;max-width:9em}#matrix td a{color:inherit;text-decoration:none}
.scroll{overflow-x:auto}.checks td:last-child{max-width:60em}
.ok{background:#dafbe1}.warn{background:#fff8c5}.bad{background:#ffebe9}.unknown{background:#eaeef2}.skip{background:#f6f8fa;color:#666}.none{color:#aaa}
.verdict{font-weight:bold}h2 span{font-size:70%;padding:2px 6px}#about{font-size:13px}.coverage{background:#eaeef2;padding:4px 6px}
</style></head><body>
<h1>dpdk-hotplug certification</h1>
<p>Run ${esc(run.startedAt)}${run.finishedAt ? ` → ${esc(run.finishedAt)}` : ''}: ${esc(run.status)}.</p>
${about.length ? `<ul id="about">${about.map((l) => `<li>${esc(l).replace(/`([^`]*)`/g, '<code>$1</code>')}</li>`).join('')}</ul>` : ''}
${reports}
<p>Checks: required (the hotplug contract), advisory (robustness beyond it), reported (measured, not judged).
"whose" names the owner of a failure (pmd, dpdk, env: the environment, suite); a number leads to the finding, a result to the check's details.</p>
<div class="scroll"><table id="matrix"><tr><th>DUT</th><th>verdict</th>${head}</tr>
${rows.join('\n')}
</table></div>
${findingList}
${coverageList}
${runnersTable(run)}${core}
${run.duts.map((d) => dutSection(d, series[d.name])).join('\n')}
</body></html>
`;
}

/** A lab merge's runners, each with its machine's facts (lab merge writes the page over every runner). */
function runnersTable(run: RunSummary): string {
  if (!run.runners?.length) return '';
  const rows = run.runners.map(
    (r) =>
      `<tr data-runner="${esc(r.runner)}"><th>${esc(r.runner)}${r.shard ? ` (${esc(r.shard)})` : ''}</th><td>${esc(r.machine.hostname)}</td><td>${esc(r.machine.kernel)}</td><td>${esc(r.machine.dpdk)}</td><td>${esc(r.ended)}</td><td>${r.duts.length}</td><td>${esc(r.notRun.join(', ') || '—')}</td></tr>`,
  );
  const notes = run.runners.filter((r) => r.note);
  const noted = notes.length
    ? `<ul id="runner-notes">${notes.map((r) => `<li><b>${esc(r.runner)}</b>: ${esc(r.note!)}</li>`).join('')}</ul>\n`
    : '';
  return `<h2>Runners</h2><table id="runners"><tr><th>runner</th><th>machine</th><th>kernel</th><th>DPDK</th><th>run</th><th>DUTs</th><th>not run</th></tr>
${rows.join('\n')}
</table>
${noted}`;
}
