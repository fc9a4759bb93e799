/**
 * A DUT's devargs are read once, in the DUT model (dutDevice in model/dut.ts, through the SDK's
 * parser); everyone after it (plan, launcher, worker, checks, lab) reads `deviceOf(dut)`. This
 * fails naming the file and line of a second reader: a call of the SDK's parser, or a devargs
 * string cut up by hand. What reaches `rte_dev_probe` is the devargs string, checked by the SDK's
 * own attach at its boundary; that one is the SDK's, not the suite's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The one home of the parse. */
const PARSER_HOME = 'lib/model/dut.ts';
const READERS: [RegExp, string][] = [
  [/\bparseDevargs\s*\(/, "calls the SDK's devargs parser"],
  [/\bcanonicalPciAddress\s*\(/, 'reads a PCI address out of a devargs'],
  [/@dpdk-hotplug\/ethdev\/devargs/, "imports the SDK's devargs parser"],
  [/devargs\s*\.\s*(?:split|indexOf|slice|substring|match)\s*\(/, 'cuts a devargs string up by hand'],
];

/** Each line of `files` (path → text) outside the parser's home that reads a devargs itself. */
function secondReaders(files: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    if (file === PARSER_HOME || file.endsWith('.test.ts')) continue;
    for (const [i, line] of text.split('\n').entries()) {
      if (/^\s*(?:\*|\/\/)/.test(line)) continue; // comments may name the parser
      for (const [pattern, what] of READERS)
        if (pattern.test(line))
          out.push(`${file}:${i + 1} ${what}; read deviceOf(dut) (the DUT model parsed it once)`);
    }
  }
  return out;
}

const root = join(import.meta.dirname, '..', '..');
function suiteSources(): Record<string, string> {
  const files: Record<string, string> = {
    'playwright.config.ts': readFileSync(join(root, 'playwright.config.ts'), 'utf8'),
  };
  // The lab's runners (hil) read DUTs of the same model: they are held to the same rule.
  for (const dir of ['lib', 'tests', '../hil/lib'])
    for (const e of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue;
      const path = join(e.parentPath, e.name);
      files[relative(root, path)] = readFileSync(path, 'utf8');
    }
  return files;
}

describe('the devargs are parsed once, in the DUT model', () => {
  it('finds a second reader in made-up files, and leaves the model, tests and comments alone', () => {
    expect(
      secondReaders({
        [PARSER_HOME]: "import { parseDevargs } from '@dpdk-hotplug/ethdev/devargs';\nparseDevargs(x);",
        'lib/worker/a.ts': 'const pci = parseDevargs(dut.devargs).bus;',
        'lib/plan/b.ts': "const bdf = canonicalPciAddress(dut.devargs.split(',')[0]!);",
        'tests/c.spec.ts': "import { canonicalPciAddress } from '@dpdk-hotplug/ethdev/devargs';",
        'lib/checks/d.ts': ' * parseDevargs(x) is the SDK parser\n// devargs.split(",")',
        'lib/model/e.test.ts': 'parseDevargs(x);',
      }),
    ).toEqual([
      "lib/worker/a.ts:1 calls the SDK's devargs parser; read deviceOf(dut) (the DUT model parsed it once)",
      'lib/plan/b.ts:1 reads a PCI address out of a devargs; read deviceOf(dut) (the DUT model parsed it once)',
      'lib/plan/b.ts:1 cuts a devargs string up by hand; read deviceOf(dut) (the DUT model parsed it once)',
      "tests/c.spec.ts:1 imports the SDK's devargs parser; read deviceOf(dut) (the DUT model parsed it once)",
    ]);
  });

  it('holds for the suite and the lab: no file but the model reads a devargs', () => {
    const files = suiteSources();
    expect(Object.keys(files)).toContain(PARSER_HOME);
    expect(Object.keys(files)).toContain('../hil/lib/runner/pci-lab.ts');
    expect(files[PARSER_HOME]).toMatch(/\bparseDevargs\s*\(/);
    expect(secondReaders(files)).toEqual([]);
  });
});
