#!/usr/bin/env node
// Enforces tools/boundaries.json on nx's project graph: e.g. the kernel helpers never depend on
// the DPDK binding, so they run where DPDK is not loaded. Exit 1 naming each forbidden edge.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { boundaryViolations } from './lib/boundaries.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { depConstraints } = JSON.parse(readFileSync(join(here, 'boundaries.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'dphp-graph-'));
let graph;
try {
  execFileSync('npx', ['nx', 'graph', `--file=${join(dir, 'graph.json')}`], {
    cwd: join(here, '..'),
    stdio: 'ignore',
  });
  graph = JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')).graph;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const violations = boundaryViolations(graph, depConstraints);
if (violations.length) {
  console.error(`module boundaries broken:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `module boundaries hold: ${Object.keys(graph.nodes).length} projects, ${depConstraints.length} rules`,
);
