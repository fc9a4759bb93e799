import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseCommandLine } from '@dpdk-hotplug/args';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FORMS, main, OPTIONS } from '../cli.js';
import { DPDK_HOTPLUG_BIN } from '../test-support/cli.js';

const ci = join(import.meta.dirname, '..', '..', 'ci');
const template = join(ci, 'lab-certification.yml');
const gitlab = join(ci, 'lab-certification.gitlab-ci.yml');
const vdevInventory = join(import.meta.dirname, '..', '..', 'inventory', 'vdev-lab.yaml');
const work = mkdtempSync(join(tmpdir(), 'dphp-ci-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bin = DPDK_HOTPLUG_BIN;

/** Every shell command text of a template: GitHub steps' `run`, GitLab jobs' scripts. */
function commandsOf(file: string): string[] {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const texts: string[] = [];
  const jobs = (doc.jobs as Record<string, { steps?: { run?: string }[] }> | undefined) ?? doc;
  for (const job of Object.values(jobs as Record<string, Record<string, unknown>>)) {
    if (typeof job !== 'object' || job === null) continue;
    for (const step of (job.steps as { run?: string }[] | undefined) ?? [])
      if (step.run) texts.push(step.run);
    for (const key of ['before_script', 'script', 'after_script'])
      for (const line of (job[key] as string[] | undefined) ?? []) texts.push(line);
  }
  return texts;
}

/** The argument words of each `dpdk-hotplug …` in the texts, quotes taken off, up to a shell operator. */
function dpdkHotplugCommands(texts: string[]): string[][] {
  const found: string[][] = [];
  for (const text of texts)
    for (const m of text.matchAll(/dpdk-hotplug((?:\s+(?:"[^"]*"|'[^']*'|[^\s|&;<>()"']+))*)/g)) {
      const words = [...m[1]!.matchAll(/"([^"]*)"|'([^']*)'|([^\s]+)/g)].map((w) => w[1] ?? w[2] ?? w[3]!);
      found.push(words);
    }
  return found;
}
const errorsOf = (content: string) =>
  parseWorkflow({ name: 'lab-certification.yml', content }, new NoOperationTraceWriter())
    .context.errors.getErrors()
    .map((e) => e.message);

describe('the CI templates (hil/ci/)', () => {
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

  /**
   * Steps: each `dpdk-hotplug` command line of both templates, its words as the shell passes them.
   * Verify: `lab` commands are known, take each option they are given (the CLI's own option
   * table), with the options each needs; no other command is run; the NICs --fix bound are
   * given back by --restore. The check is no rubber stamp: a misspelt option fails it.
   */
  it('runs only commands the CLI has, with options it takes', () => {
    const checkLab = (words: string[]) => {
      const { values, positionals } = parseCommandLine(words.slice(1), OPTIONS);
      const sub = positionals[0] as keyof typeof FORMS;
      expect(Object.keys(FORMS), words.join(' ')).toContain(sub);
      for (const option of Object.keys(values))
        expect([...FORMS[sub], 'json', 'help'], `${words.join(' ')}: --${option}`).toContain(option);
      const needs: Record<string, string[]> = {
        run: ['inventory', 'runner', 'out'],
        prepare: ['inventory', 'runner'],
        merge: ['out'],
        runners: ['inventory'],
      };
      for (const option of needs[sub] ?? []) expect(values, words.join(' ')).toHaveProperty(option);
    };
    for (const file of [template, gitlab]) {
      const commands = dpdkHotplugCommands(commandsOf(file));
      const lab = commands.filter((w) => w[0] === 'lab');
      expect(lab.map((w) => w[1]).sort(), file).toEqual(['merge', 'prepare', 'prepare', 'run', 'runners']);
      for (const words of lab) checkLab(words);
      expect(
        commands.filter((w) => w[0] !== 'lab'),
        file,
      ).toEqual([]);
      // The NICs are given back by the runner's own --restore, after --fix bound them.
      expect(
        lab.filter((w) => w[1] === 'prepare').map((w) => w.find((x) => x === '--fix' || x === '--restore')),
      ).toEqual(['--fix', '--restore']);
      expect(() => checkLab(['lab', 'merge', 'a', '--out', 'o', '--runner', 'r'])).toThrow(/runner/);
    }
  });

  /**
   * Steps: the GitLab template parsed as YAML; its `runners` job's script run here (bash) on the
   * example vdev inventory, with `dpdk-hotplug` the real command; the child pipeline it writes
   * parsed and resolved against the template it includes.
   * Verify: every job has a script and a stage the pipeline has; the child pipeline has a
   * certify job per runner (tagged with its name, RUNNER set) and a merge job that needs them
   * all; the parent's own jobs are kept out of the child pipeline by their rules; every job
   * that certifies gives the NICs back in after_script.
   */
  it('GitLab: a pipeline whose runners job writes one certify job per runner and a merge', () => {
    type Job = Record<string, unknown> & { script?: string[]; stage?: string; extends?: string };
    const doc = parse(readFileSync(gitlab, 'utf8')) as Record<string, unknown> & {
      stages: string[];
      variables: Record<string, string>;
    };
    const jobs = Object.entries(doc).filter(
      ([, v]) => typeof v === 'object' && v !== null && 'script' in v,
    ) as [string, Job][];
    expect(jobs.map(([name]) => name).sort()).toEqual(['.lab-certify', '.lab-merge', 'runners']);
    for (const [name, job] of jobs) expect(job.script?.length, name).toBeGreaterThan(0);
    expect(doc.stages).toEqual(['runners', 'lab']);
    expect(doc.variables).toMatchObject({ EXPECT: 'auto', LAB_CI_FILE: '.gitlab-ci.yml' });
    const runners = doc.runners as Job & { artifacts: { paths: string[] } };
    expect(runners.artifacts.paths).toEqual(['lab-pipeline.yml']);
    // Its script, here: the build is done already; `npx dpdk-hotplug` is the real command.
    const script = runners
      .script!.filter((l) => !l.startsWith('npm ci'))
      .map((l) => l.replace(/npx dpdk-hotplug/g, `${process.execPath} ${bin}`))
      .join('\n');
    execFileSync('bash', ['-euc', script], {
      cwd: work,
      env: { ...process.env, INVENTORY: vdevInventory, LAB_CI_FILE: 'ci/lab.yml' },
      stdio: 'pipe',
    });
    const child = parse(readFileSync(join(work, 'lab-pipeline.yml'), 'utf8')) as Record<string, unknown> & {
      stages: string[];
    };
    expect(child.include).toEqual([{ local: 'ci/lab.yml' }]);
    expect(child.stages).toEqual(['certify', 'merge']);
    expect(child['certify vdev-a']).toEqual({
      extends: '.lab-certify',
      tags: ['vdev-a'],
      variables: { RUNNER: 'vdev-a' },
    });
    expect(child['certify vdev-b']).toMatchObject({ tags: ['vdev-b'] });
    expect(child.merge).toEqual({ extends: '.lab-merge', needs: ['certify vdev-a', 'certify vdev-b'] });
    // Resolved against the template it includes: each job's stage is one of the child's.
    for (const [name, job] of Object.entries(child).filter(([k]) => !['include', 'stages'].includes(k))) {
      const base = doc[(job as Job).extends!] as Job;
      expect(base, name).toBeDefined();
      expect(child.stages).toContain(base.stage);
    }
    expect((doc['.lab-certify'] as Job).after_script).toEqual([
      'npx dpdk-hotplug lab prepare --inventory "$INVENTORY" --runner "$RUNNER" --restore',
    ]);
    expect(doc['.lab-merge']).toMatchObject({
      when: 'always',
      artifacts: { reports: { junit: 'certification/junit.xml' } },
    });
    // The parent's jobs do not run again in the child pipeline.
    for (const name of ['runners', 'lab'])
      expect((doc[name] as { rules: unknown[] }).rules).toEqual([
        { if: '$CI_PIPELINE_SOURCE != "parent_pipeline"' },
      ]);
  });
});
