import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileForWorkers, RUNNER_LAB_MODULE } from './worker-cache.js';

/**
 * Compiling a workers-only module into Playwright's transform cache, where a worker looks it up:
 * the folder and file named after the SHA-1 of the module's path (Playwright 1.64's layout,
 * `calculateFilePathHash` and `calculateCachePath`), so a worker finds it instead of loading Babel.
 */

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

const temp = (prefix: string) => {
  const f = mkdtempSync(join(tmpdir(), prefix));
  folders.push(f);
  return f;
};

/** The cache files Playwright keeps for `file`: `<h[0:2]>/<h>_<content hash>_<name>.js`, h = sha1(path)[0:10]. */
function cachedFor(cacheDir: string, file: string): string[] {
  const h = createHash('sha1').update(file).digest('hex').slice(0, 10);
  const folder = join(cacheDir, h.slice(0, 2));
  return existsSync(folder)
    ? readdirSync(folder).filter((f) => f.startsWith(`${h}_`) && f.endsWith('.js'))
    : [];
}

describe('compileForWorkers', () => {
  /**
   * Steps: an ES module importing another; compile it into an empty cache; compile it again.
   * Verify: both modules are in the cache where Playwright looks them up (the import compiled
   * too), the cached code is the module's; the second compile adds nothing (it was read, not
   * written again); the module not given stays out.
   */
  it('puts a module and its imports where a Playwright worker looks them up', async () => {
    const src = temp('worker-cache-src-');
    writeFileSync(join(src, 'package.json'), '{"type":"module"}');
    writeFileSync(join(src, 'helper.js'), 'export const answer = 41 + 1;\n');
    writeFileSync(
      join(src, 'lab.js'),
      "import { answer } from './helper.js';\nexport const lab = () => answer;\n",
    );
    writeFileSync(join(src, 'unused.js'), 'export const unused = 1;\n');
    const cache = join(temp('worker-cache-'), 'cache');
    mkdirSync(cache);
    expect(cachedFor(cache, join(src, 'lab.js'))).toEqual([]);
    await compileForWorkers([join(src, 'lab.js')], cache);
    const lab = cachedFor(cache, join(src, 'lab.js'));
    expect(lab).toHaveLength(1);
    expect(lab[0]).toMatch(/_lab\.js$/);
    expect(cachedFor(cache, join(src, 'helper.js'))).toHaveLength(1);
    expect(cachedFor(cache, join(src, 'unused.js'))).toEqual([]);
    const h = createHash('sha1').update(join(src, 'lab.js')).digest('hex').slice(0, 10);
    expect(readFileSync(join(cache, h.slice(0, 2), lab[0]!), 'utf8')).toContain('answer');
    await compileForWorkers([join(src, 'lab.js')], cache);
    expect(cachedFor(cache, join(src, 'lab.js'))).toEqual(lab);
  });

  it('names the module lab run gives the suite', () => {
    expect(RUNNER_LAB_MODULE).toMatch(/\/runner\/pci-lab\.js$/);
  });
});
