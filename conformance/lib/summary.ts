/** The certification summary of a run: per DUT, each check's result, and a verdict. */

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';
export type Verdict = 'CERTIFIED' | 'FAILED' | 'INCOMPLETE';

export interface CheckResult {
  id: number;
  title: string;
  status: CheckStatus;
  /** Why it failed or was skipped; what it measured when it passed. */
  reason?: string;
  notes: string[];
  durationMs: number;
}

export interface DutSummary {
  name: string;
  pmd: string;
  devargs: string;
  pci?: Record<string, unknown>;
  dpdkVersion: string;
  checks: CheckResult[];
  leaks?: { resource: string; slope: number; growth: number; leaks: boolean }[];
  latency?: { cycles: number; attachMs: Record<string, number>; detachMs: Record<string, number> };
  verdict: Verdict;
}

export interface RunSummary {
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'passed' | 'failed' | 'interrupted' | 'timedout';
  checksPlanned: number;
  duts: DutSummary[];
}

/** FAILED on any failed check; CERTIFIED when every planned check ran (passed or skipped); else INCOMPLETE. */
export function verdictOf(checks: readonly CheckResult[], planned: number): Verdict {
  if (checks.some((c) => c.status === 'FAIL')) return 'FAILED';
  return checks.length >= planned ? 'CERTIFIED' : 'INCOMPLETE';
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(3));

export function toMarkdown(run: RunSummary): string {
  const lines = [
    '# dpdk-hotplug certification',
    '',
    `Run ${run.startedAt}${run.finishedAt ? ` → ${run.finishedAt}` : ''}: ${run.status}.`,
    '',
    '| DUT | PMD | verdict | pass | fail | skip |',
    '| --- | --- | --- | --- | --- | --- |',
    ...run.duts.map((d) => {
      const n = (s: CheckStatus) => d.checks.filter((c) => c.status === s).length;
      return `| ${d.name} | ${d.pmd} | **${d.verdict}** | ${n('PASS')} | ${n('FAIL')} | ${n('SKIP')} |`;
    }),
  ];
  for (const d of run.duts) {
    lines.push(
      '',
      `## ${d.name}: ${d.verdict}`,
      '',
      `PMD ${d.pmd}, devargs \`${d.devargs}\`, ${d.dpdkVersion}.`,
      '',
    );
    // A PCI DUT says what it was: NIC model, userspace and kernel drivers, and the lab's versions.
    const pci = Object.entries(d.pci ?? {}).filter(
      ([, v]) => v !== undefined && v !== null && typeof v !== 'object',
    );
    if (pci.length) lines.push(`PCI: ${pci.map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
    lines.push('| check | result | details |', '| --- | --- | --- |');
    for (const c of d.checks) {
      const details = [c.reason, ...c.notes]
        .filter(Boolean)
        .join('; ')
        .replace(/\|/g, '\\|')
        .replace(/\n/g, ' ');
      lines.push(`| ${c.title} | ${c.status} | ${details} |`);
    }
    if (d.leaks?.length) {
      lines.push('', '| resource | slope per cycle | fitted growth | leaks |', '| --- | --- | --- | --- |');
      for (const l of d.leaks)
        lines.push(`| ${l.resource} | ${fmt(l.slope)} | ${fmt(l.growth)} | ${l.leaks ? '**yes**' : 'no'} |`);
    }
    if (d.latency) {
      const { attachMs: a, detachMs: x } = d.latency;
      lines.push(
        '',
        `Latency over ${d.latency.cycles} cycles: attach p50 ${fmt(a.p50!)} ms, p99 ${fmt(a.p99!)} ms, max ${fmt(a.max!)} ms; detach p50 ${fmt(x.p50!)} ms, p99 ${fmt(x.p99!)} ms, max ${fmt(x.max!)} ms.`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
