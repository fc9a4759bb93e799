/**
 * The certificate a PMD author can publish: one self-contained HTML page beside Playwright's
 * report, with the DUT × check matrix (result, class, whose), each verdict and why, DPDK's core
 * findings, leak slopes, latency and the charts of the cycles. Written with the summary.
 */
import { classOf, PCI_CHECK_SPECS, VDEV_CHECKS } from './catalogue.js';
import { lineChart } from './charts.js';
import type { CheckResult, DutSummary, RunSummary, Verdict } from './summary.js';

/** Per DUT, the series drawn as charts (check 6's cycles), when the run kept them. */
export type CycleSeries = Record<string, Record<string, number[]>>;

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

function cell(c: CheckResult | undefined): string {
  if (!c) return '<td class="none" title="not run">·</td>';
  const whose = c.status === 'FAIL' ? (c.fault ?? 'pmd') : '';
  const css =
    c.status === 'PASS'
      ? 'ok'
      : c.status === 'SKIP'
        ? 'skip'
        : classOf(c.id) === 'required' && whose === 'pmd'
          ? 'bad'
          : 'warn';
  const title = [c.reason, c.needs && `needs ${c.needs}`, ...(c.evidence ?? [])].filter(Boolean).join('\n');
  return `<td class="${css}" title="${esc(title)}" data-check="${c.id}">${c.status}${whose ? `<br><small>${whose}</small>` : ''}</td>`;
}

function dutSection(d: DutSummary, series: Record<string, number[]> | undefined): string {
  const parts = [
    `<section id="${esc(d.name)}"><h2>${esc(d.name)} <span class="${VERDICT_CLASS[d.verdict]}">${esc(d.verdict)}</span></h2>`,
    `<p>PMD <code>${esc(d.pmd)}</code>, devargs <code>${esc(d.devargs)}</code>, ${esc(d.dpdkVersion)}.${d.traffic ? ` Traffic: ${esc(d.traffic)}.` : ''}</p>`,
  ];
  if (d.verdictReasons?.length)
    parts.push(`<ul>${d.verdictReasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  const failed = d.checks.filter((c) => c.status !== 'PASS');
  if (failed.length) {
    parts.push('<table><tr><th>check</th><th>class</th><th>result</th><th>whose</th><th>details</th></tr>');
    for (const c of failed) {
      const details = [c.reason, c.needs && `needs ${c.needs}`, ...(c.evidence ?? []), ...c.notes].filter(
        Boolean,
      );
      parts.push(
        `<tr><td>${esc(c.title)}</td><td>${esc(c.class ?? classOf(c.id))}</td><td>${c.status}</td><td>${c.status === 'FAIL' ? esc(c.fault ?? 'pmd') : ''}</td><td>${details.map(esc).join('<br>')}${c.repro ? `<br><a href="${esc(c.repro)}">reproducer</a>` : ''}</td></tr>`,
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

export function certificateHtml(
  run: RunSummary,
  series: CycleSeries = {},
  machine: Record<string, string> = {},
): string {
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
  const rows = run.duts.map(
    (d) =>
      `<tr data-dut="${esc(d.name)}"><th><a href="#${esc(d.name)}">${esc(d.name)}</a></th><td class="${VERDICT_CLASS[d.verdict]} verdict">${esc(d.verdict)}</td>${ids.map((id) => cell(d.checks.find((c) => c.id === id))).join('')}</tr>`,
  );
  const facts = Object.entries(machine)
    .map(([k, v]) => `${esc(k)} ${esc(v)}`)
    .join(', ');
  const core = run.coreFindings?.length
    ? `<h2>DPDK core findings</h2><ul>${run.coreFindings.map((f) => `<li>${esc(f.dpdkVersion)}, check ${f.check}: ${esc(f.reason)} (${esc(f.evidence)})</li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dpdk-hotplug certification</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 6px;font-size:13px;vertical-align:top}td small,th small{color:#666}
.ok{background:#dafbe1}.warn{background:#fff8c5}.bad{background:#ffebe9}.unknown{background:#eaeef2}.skip{background:#f6f8fa;color:#666}.none{color:#aaa}
.verdict{font-weight:bold;white-space:nowrap}h2 span{font-size:70%;padding:2px 6px}
</style></head><body>
<h1>dpdk-hotplug certification</h1>
<p>Run ${esc(run.startedAt)}${run.finishedAt ? ` → ${esc(run.finishedAt)}` : ''}: ${esc(run.status)}.${facts ? ` ${facts}.` : ''}
Checks: required (the hotplug contract), advisory (robustness beyond it), reported (measured, not judged).
A cell's tooltip says why; "whose" names the owner of a failure.</p>
<table id="matrix"><tr><th>DUT</th><th>verdict</th>${head}</tr>
${rows.join('\n')}
</table>
${core}
${run.duts.map((d) => dutSection(d, series[d.name])).join('\n')}
</body></html>
`;
}
