// The suite's commit is read without writing the checkout: `git status` rewrites a stale index
// under .git/index.lock, and a run killed meanwhile would leave the user's git locked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readSuiteCommit } from './run-facts.js';

const repo = mkdtempSync(join(tmpdir(), 'dphp-suite-commit-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

it('reads the commit and a modified tree, and leaves the index as it was', async () => {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, '-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
      encoding: 'utf8',
    }).trim();
  git('init', '-q');
  writeFileSync(join(repo, 'f'), 'a\n');
  git('add', 'f');
  git('commit', '-qm', 'one');
  // The file's stat no longer matches the index: a plain `git status` would refresh the index.
  const later = new Date(Date.now() + 5000);
  utimesSync(join(repo, 'f'), later, later);
  const index = () => {
    const s = statSync(join(repo, '.git', 'index'));
    return `${s.ino}:${s.mtimeMs}`;
  };
  const before = index();
  expect(await readSuiteCommit(30_000, repo)).toEqual({ commit: git('rev-parse', 'HEAD'), modified: false });
  expect(index()).toBe(before);
  writeFileSync(join(repo, 'f'), 'b\n');
  expect((await readSuiteCommit(30_000, repo)).modified).toBe(true);
  expect(index()).toBe(before);
});

it('outside a git checkout: nothing, and no error', async () => {
  expect(await readSuiteCommit(30_000, tmpdir())).toEqual({});
});
