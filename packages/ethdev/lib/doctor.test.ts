import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose, doctorLines } from './doctor.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'dphp-doctor-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * The diagnosis (the built one) in a child process that sees no prebuilt shim: an empty
 * folder bind-mounted over the package's prebuilds/, in a private mount namespace (unshare -m),
 * so the rest of the machine still sees them. `cache` is its XDG_CACHE_HOME.
 */
function doctorWithoutPrebuilds(cache: string) {
  const empty = mkdtempSync(join(scratch, 'empty-'));
  const prebuilds = join(pkg, 'prebuilds');
  mkdirSync(prebuilds, { recursive: true });
  // Prints the report's lines and exits 1 when something is missing, as `dpdk-hotplug doctor` does.
  const doctor = `import(${JSON.stringify(join(pkg, 'dist', 'doctor.js'))}).then((m) => { const r = m.diagnose(); for (const l of m.doctorLines(r)) console.log(l); process.exitCode = r.ok ? 0 : 1; })`;
  return spawnSync(
    'unshare',
    [
      '-m',
      'sh',
      '-c',
      'mount --make-rprivate / && mount --bind "$1" "$2" && exec "$3" -e "$4"',
      'sh',
      empty,
      prebuilds,
      process.execPath,
      doctor,
    ],
    { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache } },
  );
}

/** Not where DPDK_HOTPLUG_DPDK selects another DPDK (the release matrix's source builds). */
const itPkgConfigs = it.skipIf(Boolean(process.env.DPDK_HOTPLUG_DPDK));

/** The diagnosis of the DPDK under `prefix` (else the one selected), and its lines. */
function doctor(prefix?: string) {
  const report = diagnose(prefix);
  return { ok: report.ok, report, out: doctorLines(report).join('\n') };
}

describe("doctor's diagnosis", () => {
  /**
   * Steps: doctor with a prefix that does not exist.
   * Verify: not ok, the DPDK line says missing and names the path.
   */
  it('says what is missing and is not ok', () => {
    const r = doctor('/nonexistent/dpdk');
    expect(r.ok).toBe(false);
    expect(r.out).toContain('missing DPDK  No DPDK at /nonexistent/dpdk: no such directory');
  });

  /**
   * Steps: doctor on pkg-config's DPDK: its lines and its report.
   * Verify: ok; the version pkg-config gives, its PMD folder, the shim built for it, and a
   * real load of the libraries.
   */
  itPkgConfigs("describes pkg-config's DPDK, its PMD folder, its shim, and loads them", () => {
    const version = execFileSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' }).trim();
    const r = doctor();
    expect(r.ok).toBe(true);
    expect(r.out).toMatch(
      new RegExp(
        `^ok +DPDK +${version.replaceAll('.', '\\.')} install at /usr \\(selected by pkg-config\\)`,
        'm',
      ),
    );
    expect(r.out).toMatch(/^ok +PMD folder +\/usr\/lib\/\S+\/dpdk\/pmds-[\d.]+: \d+ PMDs$/m);
    expect(r.out).toMatch(
      new RegExp(`^ok +load +the shim and DPDK ${version.replaceAll('.', '\\.')} load`, 'm'),
    );
    expect(r.report).toMatchObject({
      ok: true,
      dpdk: { version },
      // `npm run build` made the package's prebuilt shim for this (Debian's) DPDK.
      shim: { kind: 'prebuilt', stamp: { dpdk: version, prefix: '/usr' } },
    });
  });

  /**
   * Steps: doctor with no prebuilt shim and a cache it cannot create (XDG_CACHE_HOME below a
   * regular file), so no shim can be had.
   * Verify: exit 1 (it used to say "everything the SDK needs is there" and exit 0), a missing
   * "load" line with the command that builds the shim, under that cache.
   */
  it('exits 1 and prints the command that fixes it when no shim can be loaded', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    const r = doctorWithoutPrebuilds(join(file, 'cache'));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /^warn +shim +no prebuilt shim in .*prebuilds\/linux-\S+\/dpdk-abi\d+; none built in /m,
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `^missing load .*building one failed \\(build-shim: cannot create .*run \`node \\S+/scripts/build-shim\\.mjs --out ${file}/cache/dpdk-hotplug/shims/`,
        'm',
      ),
    );
    expect(r.stdout).toContain('something the SDK needs is missing');
  });

  /**
   * Steps: doctor with no prebuilt shim and a new, writable XDG cache.
   * Verify: exit 0; it built the shim into that cache (never into the package) and loaded it.
   */
  it('builds a shim into the XDG cache when no prebuilt one fits, and loads it', () => {
    const cache = mkdtempSync(join(scratch, 'cache-'));
    const r = doctorWithoutPrebuilds(cache);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^ok +shim +built now: ${cache}/dpdk-hotplug/shims/\\S+/libdphp_shim\\.so$`, 'm'),
    );
    expect(r.stdout).toMatch(/^ok +load +the shim and DPDK /m);
    expect(existsSync(join(cache, 'dpdk-hotplug', 'shims'))).toBe(true);
  });
});
