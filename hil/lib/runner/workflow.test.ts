import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { main } from '../cli.js';

const template = join(import.meta.dirname, '..', '..', 'ci', 'lab-certification.yml');
const errorsOf = (content: string) =>
  parseWorkflow({ name: 'lab-certification.yml', content }, new NoOperationTraceWriter())
    .context.errors.getErrors()
    .map((e) => e.message);

describe('the CI template (hil/ci/lab-certification.yml)', () => {
  /** GitHub's own workflow parser (@actions/workflow-parser): structure, keys and expressions. */
  it('is a valid GitHub Actions workflow', () => {
    const text = readFileSync(template, 'utf8');
    expect(errorsOf(text)).toEqual([]);
    // The validator is not a rubber stamp: a misspelt key and an unclosed expression are caught.
    expect(errorsOf(text.replace('runs-on: ubuntu-latest', 'run-on: ubuntu-latest')).join('\n')).toContain(
      "Unexpected value 'run-on'",
    );
    const open = '$' + '{{';
    expect(
      errorsOf(text.replace(`${open} matrix.runner }}"]`, `${open} matrix.runner "]`)).join('\n'),
    ).toContain('The expression is not closed');
  });

  it('runs the commands it names: lab runners lists the runners as a JSON matrix', async () => {
    const text = readFileSync(template, 'utf8');
    for (const command of ['lab runners', 'lab prepare', 'lab run', 'lab merge'])
      expect(text).toContain(command);
    const out: string[] = [];
    const inventory = join(import.meta.dirname, '..', '..', 'inventory', 'virtual-lab.yaml');
    const code = await main(['runners', '--inventory', inventory, '--json'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    expect(code).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual(['qemu-uio', 'qemu-vfio']);
  });
});
