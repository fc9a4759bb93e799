/**
 * Expected verdicts for CI labs (after OKTET's TRC files in dpdk-pmd-ts): known findings per PMD,
 * DPDK version and check, each with its reason and a link. Against them a run's failures are NEW
 * FAIL (a regression), KNOWN FAIL, FIXED (expected to fail, passed) or PASS, and the exit code is
 * about regressions only.
 *
 * File (JSON): { "expectations": [ { "pmd": "net_null", "dpdk": "22.11", "check": 7,
 *   "reason": "…", "link": "https://…", "dut": "net_null" (optional) } ] }
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSpec } from '../model/catalogue.js';
import { writeJunit } from './junit.js';
import type { DutSummary, RunSummary } from '../model/summary.js';

export interface Expectation {
  /** The PMD as the summary names it (`net_null`). */
  pmd: string;
  /** A DPDK version prefix: `22.11` matches `DPDK 22.11.11`. */
  dpdk: string;
  check: number;
  reason: string;
  link?: string;
  /** Narrows to one DUT of the PMD (`net_pcap-veth`). */
  dut?: string;
}

export type Outcome = 'NEW FAIL' | 'KNOWN FAIL' | 'FIXED' | 'PASS' | 'SKIP';

export interface ExpectationResult {
  dut: string;
  check: number;
  outcome: Outcome;
  reason?: string;
  /** The expectation's reason and link, for KNOWN FAIL and FIXED. */
  expected?: { reason: string; link?: string };
}

export class ExpectationsError extends Error {
  override name = 'ExpectationsError';
}

const KEYS = new Set(['pmd', 'dpdk', 'check', 'reason', 'link', 'dut']);

/** Checks an expectations document; throws ExpectationsError naming the entry and field. */
export function validateExpectations(doc: unknown, where = 'expectations'): Expectation[] {
  const list = (doc as { expectations?: unknown } | null)?.expectations;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(list))
    throw new ExpectationsError(`${where}: must be an object with an "expectations" array`);
  return list.map((e, i) => {
    const at = `${where}: expectations[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw new ExpectationsError(`${at}: must be an object`);
    const v = e as Record<string, unknown>;
    const unknown = Object.keys(v).filter((k) => !KEYS.has(k));
    if (unknown.length)
      throw new ExpectationsError(`${at}: unknown field ${unknown.map((k) => `"${k}"`).join(', ')}`);
    for (const key of ['pmd', 'dpdk', 'reason'] as const)
      if (typeof v[key] !== 'string' || v[key] === '')
        throw new ExpectationsError(`${at}.${key}: must be a non-empty string`);
    if (!/^\d+\.\d+(\.\d+)?$/.test(v.dpdk as string))
      throw new ExpectationsError(
        `${at}.dpdk: ${JSON.stringify(v.dpdk)} is not a version like 22.11 or 22.11.11`,
      );
    if (!Number.isInteger(v.check)) throw new ExpectationsError(`${at}.check: must be a check number`);
    try {
      checkSpec(v.check as number);
    } catch {
      throw new ExpectationsError(`${at}.check: there is no check ${v.check}`);
    }
    for (const key of ['link', 'dut'] as const)
      if (v[key] !== undefined && (typeof v[key] !== 'string' || v[key] === ''))
        throw new ExpectationsError(`${at}.${key}: must be a non-empty string when given`);
    return v as unknown as Expectation;
  });
}

/** Reads and checks an expectations file; one line naming the path and what is wrong otherwise. */
export function readExpectations(path: string): Expectation[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ExpectationsError(`${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ExpectationsError(`${path}: not JSON (${(e as Error).message})`);
  }
  return validateExpectations(doc, path);
}

/** The expectation files shipped with the suite, one per release: `debian-13-dpdk-24.11.json`. */
export const SHIPPED_EXPECTATIONS = fileURLToPath(new URL('../../expectations/', import.meta.url));

/**
 * The shipped file for a DPDK version (`24.11.8` → `…-dpdk-24.11.json`), for `--expect auto`;
 * ExpectationsError naming the version and the versions shipped when there is none.
 */
export function shippedExpectationsFor(dpdkVersion: string, dir = SHIPPED_EXPECTATIONS): string {
  const files = readdirSync(dir).filter((f) => /-dpdk-\d+\.\d+\.json$/.test(f));
  const release = /^(\d+\.\d+)/.exec(dpdkVersion)?.[1];
  const file = files.find((f) => f.endsWith(`-dpdk-${release}.json`));
  if (!file) {
    const shipped = files.map((f) => /-dpdk-(\d+\.\d+)\.json$/.exec(f)![1]).sort();
    throw new ExpectationsError(
      `--expect auto: no shipped expectations for DPDK ${dpdkVersion} (shipped: ${shipped.join(', ')}); give --expect FILE`,
    );
  }
  return join(dir, file);
}

/**
 * The files `--expect FILE|auto` names: FILE, or with `auto` the shipped file of each DPDK
 * version given (certify: the DPDK in use; lab merge: each runner's, which may differ).
 */
export function expectFiles(value: string, dpdkVersions: readonly string[]): string[] {
  if (value !== 'auto') return [value];
  return [...new Set(dpdkVersions.map((v) => shippedExpectationsFor(v.replace(/^DPDK /, ''))))];
}

/**
 * Each DUT's own expectations (an inventory DUT's `expectations` file), by DUT name; a file is
 * read once however many DUTs name it. Its entries apply to that DUT only.
 */
export function ownExpectations(
  duts: readonly { name: string; expectations?: string }[],
): Record<string, Expectation[]> {
  const files = new Map<string, Expectation[]>();
  const own: Record<string, Expectation[]> = {};
  for (const d of duts) {
    if (!d.expectations) continue;
    if (!files.has(d.expectations)) files.set(d.expectations, readExpectations(d.expectations));
    own[d.name] = files.get(d.expectations)!;
  }
  return own;
}

/** What a run is compared with: the `--expect` files' entries, and each DUT's own. */
export interface ExpectedFindings {
  /** The files read for `--expect` (none when only DUTs' own files apply). */
  files: string[];
  list: Expectation[];
  own: Record<string, Expectation[]>;
}

/**
 * The findings to compare with, or undefined when there are none to compare with (no
 * `--expect`, and no DUT with a file of its own): then the exit code is the verdicts'.
 */
export function expectedFindings(
  expect: string | undefined,
  dpdkVersions: readonly string[],
  own: Record<string, Expectation[]>,
): ExpectedFindings | undefined {
  if (expect === undefined && Object.keys(own).length === 0) return undefined;
  const files = expect === undefined ? [] : expectFiles(expect, dpdkVersions);
  return { files, list: files.flatMap((f) => readExpectations(f)), own };
}

const versionOf = (dpdkVersion: string) => /(\d+\.\d+(?:\.\d+)?)/.exec(dpdkVersion)?.[1] ?? '';
const matchesVersion = (prefix: string, version: string) =>
  version === prefix || version.startsWith(`${prefix}.`);

function expected(list: readonly Expectation[], dut: DutSummary, check: number): Expectation | undefined {
  const version = versionOf(dut.dpdkVersion);
  return list.find(
    (e) =>
      e.check === check &&
      e.pmd === dut.pmd &&
      (e.dut === undefined || e.dut === dut.name) &&
      matchesVersion(e.dpdk, version),
  );
}

/** Every check of every DUT against the expectations: `list`, and the DUT's `own` entries. */
export function compare(
  run: RunSummary,
  list: readonly Expectation[],
  own: Readonly<Record<string, readonly Expectation[]>> = {},
): ExpectationResult[] {
  return run.duts.flatMap((dut) =>
    dut.checks.map((c): ExpectationResult => {
      const e = expected([...list, ...(own[dut.name] ?? [])], dut, c.id);
      const known = e ? { expected: { reason: e.reason, ...(e.link ? { link: e.link } : {}) } } : {};
      const base = { dut: dut.name, check: c.id, ...(c.reason ? { reason: c.reason } : {}) };
      if (c.status === 'SKIP') return { ...base, outcome: 'SKIP' };
      // Failures that are not the PMD's (environment, suite, DPDK core) are no regression of it.
      const pmdFailure = c.status === 'FAIL' && (c.fault ?? 'pmd') === 'pmd';
      if (pmdFailure) return { ...base, outcome: e ? 'KNOWN FAIL' : 'NEW FAIL', ...known };
      return { ...base, outcome: e ? 'FIXED' : 'PASS', ...known };
    }),
  );
}

/**
 * The exit code about regressions only: 1 when anything regressed (a NEW FAIL); else 3 when a
 * DUT could not be judged (INCONCLUSIVE: not run, or the machine's fault), as without
 * expectations; else 0. FIXED asks for the file to be updated, no more.
 */
export function regressionExitCode(
  results: readonly ExpectationResult[],
  duts: readonly Pick<DutSummary, 'verdict'>[] = [],
): number {
  if (results.some((r) => r.outcome === 'NEW FAIL')) return 1;
  return duts.some((d) => d.verdict === 'INCONCLUSIVE') ? 3 : 0;
}

/**
 * Compares a run with its expected findings and writes the outcome beside its summary
 * (`expectations.json`, `expectations.md`, and `junit.xml` whose failures are the NEW FAILs).
 * `certify` and `lab merge` both end here. Returns the exit code and the lines to print.
 */
export function judgeAgainst(
  dir: string,
  run: RunSummary,
  findings: ExpectedFindings,
): { results: ExpectationResult[]; code: number; lines: string[] } {
  const results = compare(run, findings.list, findings.own);
  writeFileSync(join(dir, 'expectations.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'expectations.md'), expectationsMarkdown(results));
  writeJunit(dir, run, results);
  const owners = Object.keys(findings.own);
  const against = [
    ...findings.files,
    ...(owners.length ? [`the own expectations of ${owners.join(', ')}`] : []),
  ].join(' and ');
  const lines = [`against ${against}:`];
  for (const r of results.filter((x) => x.outcome === 'NEW FAIL' || x.outcome === 'FIXED'))
    lines.push(
      `  ${r.outcome.padEnd(10)} ${r.dut} check ${r.check}${r.reason ? `: ${r.reason.slice(0, 140)}` : ''}`,
    );
  const known = results.filter((r) => r.outcome === 'KNOWN FAIL').length;
  lines.push(`  ${known} known failure(s); details in ${join(dir, 'expectations.md')}`);
  const code = regressionExitCode(results, run.duts);
  if (code === 3)
    lines.push(
      `  no regression, but INCONCLUSIVE: ${run.duts
        .filter((d) => d.verdict === 'INCONCLUSIVE')
        .map((d) => d.name)
        .join(', ')}`,
    );
  return { results, code, lines };
}

export function expectationsMarkdown(results: readonly ExpectationResult[]): string {
  const shown = results.filter((r) => r.outcome !== 'PASS' && r.outcome !== 'SKIP');
  const lines = ['## Against expectations', ''];
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  lines.push(
    `${count('NEW FAIL')} new failures, ${count('KNOWN FAIL')} known, ${count('FIXED')} fixed, ${count('PASS')} passed.`,
    '',
  );
  if (shown.length) {
    lines.push('| DUT | check | outcome | details |', '| --- | --- | --- | --- |');
    for (const r of shown) {
      const why = [r.reason, r.expected && `expected: ${r.expected.reason}`, r.expected?.link]
        .filter(Boolean)
        .join('; ')
        .replace(/\|/g, '\\|')
        .replace(/\n/g, ' ');
      lines.push(`| ${r.dut} | ${r.check} | **${r.outcome}** | ${why} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
