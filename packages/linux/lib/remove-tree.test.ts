import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeOwnTree } from './remove-tree.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-remove-tree-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const built = join(import.meta.dirname, '..', 'dist', 'remove-tree.js');

/** A tree with a file, a folder, and a symbolic link to `outside` (a folder with a file). */
function tree(name: string) {
  const top = join(work, name);
  const outside = join(work, `${name}-outside`);
  mkdirSync(join(top, 'sub'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(top, 'sub', 'f'), 'x');
  writeFileSync(join(outside, 'keep'), 'x');
  symlinkSync(outside, join(top, 'link'));
  return { top, outside };
}

describe('removeOwnTree', () => {
  it('deletes the tree, unlinking symbolic links without following them; a missing one is fine', () => {
    const { top, outside } = tree('plain');
    removeOwnTree(top);
    expect(existsSync(top)).toBe(false);
    expect(existsSync(join(outside, 'keep'))).toBe(true);
    expect(() => removeOwnTree(top)).not.toThrow();
  });

  /**
   * Steps: in a private mount namespace (unshare -m), bind-mount a folder of the same file system
   * (its device number is the tree's) into the tree, then removeOwnTree(tree).
   * Verify: MOUNTED_INSIDE naming the mount point, and nothing deleted, in the tree or through
   * the mount (rmSync deletes the bound folder's file).
   */
  it.skipIf(process.getuid?.() !== 0 || !existsSync(built))(
    'refuses a tree with a mount inside, a bind mount of its own file system too, deleting nothing',
    () => {
      const { top, outside } = tree('mounted');
      const script = `import(${JSON.stringify(built)}).then((m) => { try { m.removeOwnTree(process.argv[1]); console.log('deleted'); } catch (e) { console.log(e.code, e.message); } })`;
      const r = spawnSync(
        'unshare',
        [
          '-m',
          'sh',
          '-c',
          'mount --make-rprivate / && mount --bind "$1" "$2" && exec "$3" -e "$4" "$5"',
          'sh',
          outside,
          join(top, 'sub'),
          process.execPath,
          script,
          top,
        ],
        { encoding: 'utf8' },
      );
      expect(r.stdout.trim(), r.stderr).toBe(
        `MOUNTED_INSIDE ${join(top, 'sub')} is a mount point in ${top}: nothing was deleted; unmount it first, or remove the folder yourself`,
      );
      expect(existsSync(join(outside, 'keep'))).toBe(true);
      expect(existsSync(join(top, 'sub', 'f'))).toBe(true);
      expect(existsSync(join(top, 'link'))).toBe(true);
    },
  );

  it('stops at a folder of another file system than the one given', () => {
    const { top } = tree('device');
    expect(() => removeOwnTree(top, -1)).toThrow(/is on another file system \(a mount\)/);
    expect(existsSync(join(top, 'sub', 'f'))).toBe(true);
  });
});
