/**
 * The run's JUnit XML, written from the certification summary (not by Playwright's junit
 * reporter, whose class is the spec file and whose failures are every failed test): one
 * `<testsuite>` per DUT, each check a `<testcase>` whose class is the DUT's name. What counts as
 * a `<failure>` is what the exit code counts: a required check the PMD failed (a FAILED
 * verdict), or, against expectations, a NEW FAIL only. A check that could not be judged here (the
 * environment's or the suite's fault, a required check that did not run) is an `<error>`
 * (INCONCLUSIVE, exit 3); a KNOWN FAIL is `<skipped>` (as pytest writes an xfail); an advisory or
 * reported finding, and DPDK's core findings, are passed test cases that say so in `<system-out>`.
 * `certify` and `lab merge` write it the same way.
 */
import { checkSpec, classOf } from '../model/catalogue.js';
import type { ExpectationResult } from './expectations.js';
import { type CheckResult, type DutSummary, type RunSummary, writeAtomic } from '../model/summary.js';

const xml = (s: unknown) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
  String(s).replace(/[<>&"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) =>
    c in ENTITIES ? ENTITIES[c as keyof typeof ENTITIES] : '',
  );
const ENTITIES = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' } as const;

type Kind = 'pass' | 'failure' | 'error' | 'skipped';
interface Case {
  name: string;
  seconds: number;
  kind: Kind;
  message?: string;
  type?: string;
  out?: string;
}

const titleOf = (id: number) => {
  try {
    return `${id}. ${checkSpec(id).title}`;
  } catch {
    return `check ${id}`;
  }
};

/** One check as a test case: what it means for the exit code decides its kind. */
function caseOf(c: CheckResult, result: ExpectationResult | undefined): Case {
  const base = { name: c.title || titleOf(c.id), seconds: c.durationMs / 1000 };
  const why = [c.reason, c.needs && `needs ${c.needs}`, ...(c.evidence ?? [])].filter(Boolean).join('; ');
  if (c.status === 'SKIP') return { ...base, kind: 'skipped', message: c.reason ?? 'skipped' };
  if (c.status === 'PASS')
    return result?.outcome === 'FIXED'
      ? { ...base, kind: 'pass', out: `FIXED: expected to fail (${result.expected?.reason}); it passed` }
      : { ...base, kind: 'pass' };
  const fault = c.fault ?? 'pmd';
  const cls = c.class ?? classOf(c.id);
  if (fault === 'dpdk') return { ...base, kind: 'pass', out: `DPDK core finding, not the PMD's: ${why}` };
  if (fault !== 'pmd')
    return cls === 'required'
      ? { ...base, kind: 'error', type: fault, message: `could not be judged (${fault}): ${why}` }
      : { ...base, kind: 'pass', out: `${cls} check failed for the ${fault}: ${why}` };
  if (result) {
    if (result.outcome === 'NEW FAIL') return { ...base, kind: 'failure', type: 'NEW FAIL', message: why };
    const expected = result.expected ? ` (expected: ${result.expected.reason})` : '';
    return { ...base, kind: 'skipped', message: `KNOWN FAIL: ${why}${expected}` };
  }
  return cls === 'required'
    ? { ...base, kind: 'failure', type: 'required', message: why }
    : { ...base, kind: 'pass', out: `${cls} finding: ${why}` };
}

/** The DUT's test cases: its checks, then each required check planned that did not run. */
function casesOf(d: DutSummary, results: readonly ExpectationResult[] | undefined): Case[] {
  const cases = d.checks.map((c) =>
    caseOf(
      c,
      results?.find((r) => r.dut === d.name && r.check === c.id),
    ),
  );
  for (const id of d.planned ?? [])
    if (!d.checks.some((c) => c.id === id) && classOf(id) === 'required')
      cases.push({ name: titleOf(id), seconds: 0, kind: 'error', type: 'not run', message: 'did not run' });
  // A DUT with nothing run (a runner stopped before it, or not prepared for it) still shows.
  if (cases.length === 0)
    cases.push({
      name: 'certification',
      seconds: 0,
      kind: d.verdict === 'INCONCLUSIVE' ? 'error' : 'pass',
      type: 'not run',
      message: d.verdictReasons?.[0] ?? d.verdict,
    });
  return cases;
}

function caseXml(dut: string, c: Case): string {
  const open = `    <testcase classname="${xml(dut)}" name="${xml(c.name)}" time="${c.seconds.toFixed(3)}"`;
  const body: string[] = [];
  if (c.kind === 'failure' || c.kind === 'error')
    body.push(`      <${c.kind} type="${xml(c.type ?? '')}" message="${xml(c.message ?? '')}"/>`);
  if (c.kind === 'skipped') body.push(`      <skipped message="${xml(c.message ?? '')}"/>`);
  if (c.out) body.push(`      <system-out>${xml(c.out)}</system-out>`);
  return body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`;
}

/** The JUnit XML of a run; with `results` (certify --expect, lab merge --expect) failures are NEW FAILs. */
export function junitXml(run: RunSummary, results?: readonly ExpectationResult[]): string {
  const count = (cases: Case[], kind: Kind) => cases.filter((c) => c.kind === kind).length;
  const suites = run.duts.map((d) => ({ dut: d, cases: casesOf(d, results) }));
  const all = suites.flatMap((s) => s.cases);
  const seconds = (cases: Case[]) => cases.reduce((t, c) => t + c.seconds, 0).toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dpdk-hotplug certification" tests="${all.length}" failures="${count(all, 'failure')}" errors="${count(all, 'error')}" skipped="${count(all, 'skipped')}" time="${seconds(all)}">`,
  ];
  for (const { dut, cases } of suites) {
    const props: [string, string | undefined][] = [
      ['pmd', dut.pmd],
      ['devargs', dut.devargs],
      ['verdict', dut.verdict],
      ['dpdk', dut.dpdkVersion],
      ['runner', dut.runner],
      ['hostname', dut.machine?.hostname],
      ['kernel', dut.machine?.kernel],
    ];
    lines.push(
      `  <testsuite name="${xml(dut.name)}" tests="${cases.length}" failures="${count(cases, 'failure')}" errors="${count(cases, 'error')}" skipped="${count(cases, 'skipped')}" time="${seconds(cases)}"${dut.machine ? ` hostname="${xml(dut.machine.hostname)}"` : ''}>`,
      '    <properties>',
      ...props
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => `      <property name="${k}" value="${xml(v)}"/>`),
      '    </properties>',
      ...cases.map((c) => caseXml(dut.name, c)),
      '  </testsuite>',
    );
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/** Writes DIR/junit.xml (atomically: a reader never sees half a file). */
export function writeJunit(dir: string, run: RunSummary, results?: readonly ExpectationResult[]): void {
  writeAtomic(dir, 'junit.xml', junitXml(run, results));
}
