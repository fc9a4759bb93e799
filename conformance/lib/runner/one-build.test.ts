import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const specs = readdirSync(`${root}/tests`).filter((f) => f.endsWith('.ts'));

/** Imports of the suite's own modules from source, which Playwright would compile a second time. */
const fromSource = (text: string) =>
  [...text.matchAll(/from '(\.\.?\/lib\/[^']+)'|'(\.\.?\/lib\/[^']+\.ts)'/g)].map((m) => m[1] ?? m[2]);

describe('one build: the Playwright runner and its children load the same compiled suite', () => {
  it('the config names the compiled reporter, global setup and modules', () => {
    const config = readFileSync(`${root}/playwright.config.ts`, 'utf8');
    expect(fromSource(config)).toEqual([]);
    expect(config).toContain("'./dist/runner/certification-reporter.js'");
    expect(config).toContain("'./dist/runner/global-setup.js'");
  });

  it.each(specs)('%s imports the suite from dist/, as its child processes do', (spec) => {
    const text = readFileSync(`${root}/tests/${spec}`, 'utf8');
    expect(fromSource(text)).toEqual([]);
    expect(text).toMatch(/from '\.\.\/dist\/worker\/fixtures\.js'/);
  });
});
