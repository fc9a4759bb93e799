import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { findDpdk } from './dpdk-install.js';
import { pluginFolder } from './plugin-folder.js';

/** A copy of a DPDK install made for a test, and how to remove it. */
export interface CopiedDpdk {
  /** The copy's install prefix. */
  prefix: string;
  /** Its library folder (`lib/<arch>`). */
  libdir: string;
  /** Its PMD folder, the one its patched librte_eal loads PMDs from. */
  pmdDir: string;
  /** Removes the copy. */
  remove(): void;
}

/**
 * The installed DPDK copied into a new prefix laid out as `meson install --prefix` lays it out:
 * `lib/<arch>/librte_*.so*`, `lib/<arch>/dpdk/pmds-<abi>/`, `lib/<arch>/pkgconfig/*.pc` (prefix=
 * rewritten, as meson writes it) and `include/`. A DPDK built for that prefix has its own PMD
 * folder compiled into librte_eal; the copy gets it by patching that string in its librte_eal
 * (it must fit the original's bytes, so it points through a short symlink). The prefix is a
 * folder DPDK accepts plugins from (`pluginFolder`): EAL refuses PMDs below a world-writable
 * folder such as /tmp, wherever the checkout is. For tests of a DPDK other than pkg-config's;
 * `remove()` deletes it.
 */
export function copyInstalledDpdk(): CopiedDpdk {
  const system = findDpdk(undefined, 'pkg-config');
  if (!system.pmdDir) throw new Error('the installed DPDK reports no PMD folder');
  const folder = pluginFolder('dpdk-copy');
  const prefix = folder.path;
  const arch = basename(system.libdir);
  const libdir = join(prefix, 'lib', arch);
  const pmdDir = join(libdir, 'dpdk', basename(system.pmdDir));
  mkdirSync(join(libdir, 'dpdk'), { recursive: true });
  const libs = readdirSync(system.libdir)
    .filter((f) => /^librte_.*\.so/.test(f))
    .map((f) => join(system.libdir, f));
  execFileSync('cp', ['-a', ...libs, libdir]);
  execFileSync('cp', ['-a', system.pmdDir, pmdDir]);
  execFileSync('cp', ['-a', join(system.libdir, 'pkgconfig'), join(libdir, 'pkgconfig')]);
  // Debian's headers are in include/dpdk and include/<arch>/dpdk; a meson install's own (a
  // source build, dpdk-build's) straight in include/.
  if (existsSync(join(system.prefix, 'include', 'dpdk'))) {
    mkdirSync(join(prefix, 'include', arch), { recursive: true });
    execFileSync('cp', ['-a', join(system.prefix, 'include', 'dpdk'), join(prefix, 'include', 'dpdk')]);
    execFileSync('cp', [
      '-a',
      join(system.prefix, 'include', arch, 'dpdk'),
      join(prefix, 'include', arch, 'dpdk'),
    ]);
  } else execFileSync('cp', ['-a', join(system.prefix, 'include'), join(prefix, 'include')]);
  // A meson install has its own dpdk-pmdinfo.py too.
  const pmdinfo = join(system.prefix, 'bin', 'dpdk-pmdinfo.py');
  if (existsSync(pmdinfo)) {
    mkdirSync(join(prefix, 'bin'));
    execFileSync('cp', ['-a', pmdinfo, join(prefix, 'bin')]);
  }
  for (const pc of readdirSync(join(libdir, 'pkgconfig'))) {
    const file = join(libdir, 'pkgconfig', pc);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^prefix=.*$/m, `prefix=${prefix}`));
  }
  const link = mkdtempSync(join(tmpdir(), 'dphp-pmds-'));
  symlinkSync(pmdDir, join(link, 'p'));
  const eal = realpathSync(join(libdir, `librte_eal.so.${system.abi}`));
  writeFileSync(eal, replaceCString(readFileSync(eal), system.pmdDir, join(link, 'p')));
  return {
    prefix,
    libdir,
    pmdDir: join(link, 'p'),
    remove() {
      folder.remove();
      rmSync(link, { recursive: true, force: true });
    },
  };
}

/** Every NUL-terminated occurrence of `from` (also after `DPDK_PLUGIN_PATH=`) becomes `to`. */
function replaceCString(buf: Buffer, from: string, to: string): Buffer {
  if (to.length > from.length) throw new Error(`${to} is longer than ${from}`);
  const needle = Buffer.from(`${from}\0`);
  let count = 0;
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) {
    buf.fill(0, at, at + from.length);
    buf.write(to, at);
    count++;
  }
  if (count === 0) throw new Error(`${from} not found in librte_eal`);
  return buf;
}
