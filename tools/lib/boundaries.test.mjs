import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { boundaryViolations } from './boundaries.mjs';

const { depConstraints } = JSON.parse(readFileSync(new URL('../boundaries.json', import.meta.url), 'utf8'));
const node = (...tags) => ({ data: { tags } });
const graph = (deps) => ({
  nodes: {
    ethdev: node('scope:sdk', 'type:binding'),
    linux: node('scope:sdk', 'type:kernel'),
    probe: node('scope:sdk', 'type:probe'),
    args: node('scope:sdk', 'type:util'),
    conformance: node('scope:conformance'),
    tools: node('scope:tools'),
  },
  dependencies: deps,
});

test('the intended edges hold', () => {
  const ok = graph({
    conformance: [{ target: 'ethdev' }, { target: 'linux' }, { target: 'probe' }, { target: 'args' }],
    probe: [{ target: 'ethdev' }, { target: 'args' }],
    linux: [{ target: 'args' }, { target: 'npm:koffi' }],
    tools: [{ target: 'ethdev' }, { target: 'conformance' }],
  });
  assert.deepEqual(boundaryViolations(ok, depConstraints), []);
});

test('the kernel helpers importing the binding is refused, by name', () => {
  const bad = graph({ linux: [{ target: 'ethdev' }] });
  assert.deepEqual(boundaryViolations(bad, depConstraints), [
    'linux (type:kernel) must not depend on ethdev (type:binding)',
  ]);
});

test('the binding depending on anything in the workspace is refused', () => {
  const bad = graph({ ethdev: [{ target: 'tools' }] });
  assert.match(
    boundaryViolations(bad, depConstraints)[0],
    /ethdev \(type:binding\) may depend only on nothing in the workspace, not on tools/,
  );
});

test('the argument rules depending on anything in the workspace is refused', () => {
  const bad = graph({ args: [{ target: 'linux' }] });
  assert.match(
    boundaryViolations(bad, depConstraints)[0],
    /args \(type:util\) may depend only on nothing in the workspace, not on linux/,
  );
});
