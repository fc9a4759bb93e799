#!/usr/bin/env node
// Writes docs/findings.md from conformance/expectations/*.json (tools/findings/findings.mjs);
// `--check` writes nothing and exits 1 when the checked-in page is not what the files give.
// Usage: node tools/findings/generate.mjs [--check]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkSpec, DEFAULT_DUTS, readExpectations } from '@dpdk-hotplug/conformance';
import { findingsPage, releaseOfFile } from './findings.mjs';

const repo = resolve(import.meta.dirname, '../..');
export const PAGE = join(repo, 'docs/findings.md');
const EXPECTATIONS = join(repo, 'conformance/expectations');

/** The page the shipped expectations give now. */
export function currentPage() {
  const releases = readdirSync(EXPECTATIONS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const file = join(EXPECTATIONS, f);
      return { file, ...releaseOfFile(f), expectations: readExpectations(file) };
    })
    .sort((a, b) => a.release.localeCompare(b.release, 'en', { numeric: true }));
  return findingsPage({ releases, duts: DEFAULT_DUTS, checkSpec });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const page = currentPage();
  if (process.argv.includes('--check')) {
    const now = readFileSync(PAGE, 'utf8');
    if (now !== page) {
      console.error('docs/findings.md is out of date: run node tools/findings/generate.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(PAGE, page);
    console.log(`wrote ${PAGE}`);
  }
}
