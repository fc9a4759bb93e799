import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checksTable, PAGE, withTable } from './checks-table.mjs';

// The page's table is what the catalogue gives now (run checks-table.mjs after editing it).
test('docs/conformance-checks.md carries the catalogue’s table as it is now', () => {
  const page = readFileSync(PAGE, 'utf8');
  assert.equal(page, withTable(page));
});

// A row per check with its class; a changed title changes the page.
test('the table has a row per check with its class, and follows the catalogue', () => {
  const table = checksTable(
    { 1: { title: 'attach works', class: 'required' } },
    { 101: { title: 'plug', class: 'required' } },
  );
  assert.match(table, /\| 1 \| vdev, or PCI bound beforehand \| required \| attach works \|/);
  assert.match(table, /\| 101 \| PCI, in a lab \| required \| plug \|/);
  const page = `# x\n\n${checksTable({ 1: { title: 'old', class: 'advisory' } }, {})}\n\nafter\n`;
  const next = withTable(page, table);
  assert.notEqual(next, page);
  assert.match(next, /attach works/);
  assert.match(next, /\nafter\n$/);
});
