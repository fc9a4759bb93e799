/**
 * The import rules between the rooms of conformance/lib (rooms.json), after Playwright's
 * DEPS.list: a module may import its own room and the rooms rooms.json lists for it; tests may
 * import any room; nothing but the package's entry points lives outside a room.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

interface Room {
  role: string;
  mayImport: string[];
}
const lib = import.meta.dirname;
const { rooms } = JSON.parse(readFileSync(join(lib, 'rooms.json'), 'utf8')) as {
  rooms: Record<string, Room>;
};
/** The package's entry points and this check: the only files outside a room. */
const ROOT_FILES = ['index.ts', 'reports.ts', 'rooms.json', 'rooms.test.ts'];

/** The relative imports of a TypeScript source, as written (static, dynamic and type-only). */
function importsOf(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((f) => f.startsWith('.'));
}

/** Each import of `files` (path → text, relative to lib) that crosses into a room it may not. */
function roomViolations(files: Record<string, string>, plan: Record<string, Room>): string[] {
  const out: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    const [room, ...rest] = file.split('/');
    if (!rest.length) {
      if (!ROOT_FILES.includes(file)) out.push(`${file}: outside any room (rooms.json lists them)`);
      continue;
    }
    const rules = plan[room!];
    if (!rules) {
      out.push(`${file}: ${room}/ is no room of rooms.json`);
      continue;
    }
    if (file.endsWith('.test.ts')) continue;
    for (const spec of importsOf(text)) {
      const target = relative(lib, resolve(join(lib, dirname(file)), spec)).split('/')[0]!;
      if (target === room || target.startsWith('..') || !plan[target]) continue;
      if (!rules.mayImport.includes(target))
        out.push(
          `${file} imports ${spec}: ${room}/ may import only ${rules.mayImport.join(', ') || 'itself'}`,
        );
    }
  }
  return out;
}

function sources(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !/\.(ts|json)$/.test(e.name)) continue;
    const path = join(e.parentPath, e.name);
    files[relative(dir, path)] = e.name.endsWith('.ts') ? readFileSync(path, 'utf8') : '';
  }
  return files;
}

describe('the rooms of conformance/lib', () => {
  it('every module imports only the rooms rooms.json allows it', () => {
    expect(roomViolations(sources(lib), rooms)).toEqual([]);
  });

  it('every room of rooms.json says its role and exists', () => {
    const folders = readdirSync(lib, { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(folders.map((e) => e.name).sort()).toEqual(Object.keys(rooms).sort());
    for (const [name, room] of Object.entries(rooms)) {
      expect(room.role.length, name).toBeGreaterThan(20);
      for (const other of room.mayImport) expect(Object.keys(rooms), `${name} -> ${other}`).toContain(other);
    }
  });

  it('refuses a forbidden import, a file outside any room and an unknown room, by name', () => {
    const bad = {
      'model/verdict.ts':
        "import { test } from '../worker/fixtures.js';\nimport type { X } from './summary.js';",
      'reports/junit.ts': "const m = await import('../runner/certification-reporter.js');",
      'stray.ts': '',
      'attic/old.ts': '',
      'model/verdict.test.ts': "import { test } from '../worker/fixtures.js';",
    };
    expect(roomViolations(bad, rooms)).toEqual([
      'model/verdict.ts imports ../worker/fixtures.js: model/ may import only itself',
      'reports/junit.ts imports ../runner/certification-reporter.js: reports/ may import only model',
      'stray.ts: outside any room (rooms.json lists them)',
      'attic/old.ts: attic/ is no room of rooms.json',
    ]);
  });
});
