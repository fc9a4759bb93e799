import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { brokenLinks, readPage, slug } from './links.mjs';

// The repository's own Markdown: every relative link and #anchor leads somewhere.
test("every relative link and #anchor of the repository's Markdown resolves", () => {
  const broken = brokenLinks();
  assert.deepEqual(
    broken.map((b) => `${b.file}:${b.line}: ${b.href}: ${b.why}`),
    [],
  );
});

// GitHub's anchors: punctuation dropped, spaces to hyphens, code kept, repeats numbered.
test('anchors are GitHub’s, repeats numbered, <a id> counted, code blocks ignored', () => {
  assert.equal(
    slug('On every maintained DPDK (22.11, 23.11, 24.11, 25.11, 26.07)'),
    'on-every-maintained-dpdk-2211-2311-2411-2511-2607',
  );
  assert.equal(slug('Bisect: which DPDK commit changed a check'), 'bisect-which-dpdk-commit-changed-a-check');
  const { anchors, links } = readPage(
    [
      '# The `Eal` seam',
      '## Speed',
      '## Speed',
      '<a id="net_a-6"></a>',
      '',
      '```md',
      '[x](nowhere.md)',
      '```',
      '[y](#speed-1)',
    ].join('\n'),
  );
  assert.deepEqual([...anchors].sort(), ['net_a-6', 'speed', 'speed-1', 'the-eal-seam']);
  assert.deepEqual(
    links.map((l) => l.href),
    ['#speed-1'],
  );
});

// A made-up repository with one good link of each kind and one broken link of each kind.
test('a missing file, a missing anchor and an anchor on a folder without README are reported', () => {
  const root = mkdtempSync(join(tmpdir(), 'dphp-links-'));
  try {
    mkdirSync(join(root, 'pkg'));
    mkdirSync(join(root, 'empty'));
    writeFileSync(join(root, 'pkg', 'README.md'), '# Pkg\n\n## Which DPDK\n');
    writeFileSync(
      join(root, 'README.md'),
      [
        '[ok](pkg#which-dpdk) [ok](pkg/README.md) [ok](#top) [ok](https://example.org/x#y) [built](pkg/dist/docs/index.html)',
        '# Top',
        '[gone](pkg#speed) [missing](docs/none.md) [folder](empty#x) [self](#nowhere)',
      ].join('\n'),
    );
    const broken = brokenLinks(root, ['README.md', 'pkg/README.md']);
    assert.deepEqual(
      broken.map((b) => b.href),
      ['pkg#speed', 'docs/none.md', 'empty#x', '#nowhere'],
    );
    assert.match(broken[0].why, /#speed in pkg\/README\.md/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
