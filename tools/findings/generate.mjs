#!/usr/bin/env node
// Writes docs/findings.md from conformance/expectations/*.json, the findings no expectation
// records (beyond-checks.json) and the release matrix's last runs (tools/matrix/measured/);
// `--check` writes nothing and exits 1 when the checked-in page is not what the files give.
// `--run LABEL=SUMMARY.json` (repeatable) adds runs as they came out (the matrix's, a lab's) to a
// page written to `--out FILE` (the checked-in page is the expectations' alone).
// Usage: node tools/findings/generate.mjs [--check] [--run LABEL=FILE ... --out FILE]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkSpec, DEFAULT_DUTS, readExpectations } from '@dpdk-hotplug/conformance';
import { readReleaseData, releasesTable } from '../matrix/release-data.mjs';
import { findingsPage, releaseOfFile } from './findings.mjs';

const repo = resolve(import.meta.dirname, '../..');
export const PAGE = join(repo, 'docs/findings.md');
const EXPECTATIONS = join(repo, 'conformance/expectations');
const BEYOND_CHECKS = join(import.meta.dirname, 'beyond-checks.json');
const MATRIX = join(repo, 'tools/matrix/measured');

/** The page the shipped expectations give now, with `runs` ([{ label, summary }]) if any. */
export function currentPage(runs = []) {
  const releases = readdirSync(EXPECTATIONS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const file = join(EXPECTATIONS, f);
      return { file, ...releaseOfFile(f), expectations: readExpectations(file) };
    })
    .sort((a, b) => a.release.localeCompare(b.release, 'en', { numeric: true }));
  return findingsPage({
    releases,
    duts: DEFAULT_DUTS,
    checkSpec,
    runs,
    beyond: JSON.parse(readFileSync(BEYOND_CHECKS, 'utf8')),
    matrix: releasesTable(readReleaseData(MATRIX)),
  });
}

function usage(message) {
  console.error(`generate.mjs: ${message}`);
  process.exit(2);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        check: { type: 'boolean' },
        run: { type: 'string', multiple: true },
        out: { type: 'string' },
      },
    }));
  } catch (e) {
    usage(e.message);
  }
  const runs = (values.run ?? []).map((spec) => {
    const at = spec.indexOf('=');
    if (at < 1) usage(`--run takes LABEL=SUMMARY.json, not ${spec}`);
    const file = spec.slice(at + 1);
    try {
      return { label: spec.slice(0, at), summary: JSON.parse(readFileSync(file, 'utf8')) };
    } catch (e) {
      return usage(`--run ${file}: ${e.code ?? e.message}`);
    }
  });
  if (runs.length > 0 && !values.out)
    usage('--run goes with --out FILE (docs/findings.md holds the expectations alone)');
  const page = currentPage(runs);
  if (values.check) {
    if (readFileSync(PAGE, 'utf8') !== page) {
      console.error('docs/findings.md is out of date: run node tools/findings/generate.mjs');
      process.exit(1);
    }
  } else {
    const out = values.out ?? PAGE;
    writeFileSync(out, page);
    console.log(`wrote ${out}`);
  }
}
