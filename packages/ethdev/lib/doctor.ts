import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { dpdk, loadedShim } from './binding.js';
import { currentDpdk, type DpdkInstall, libraryPath, selectDpdk, usesBuildDrivers } from './dpdk-install.js';
import { chooseShim, packagePlaces, type ShimChoice } from './shim-select.js';

export type { ShimChoice, ShimStamp } from './shim-select.js';

/** One check of `doctor`: its name, whether it passed, and what it found. */
export interface DoctorCheck {
  /** What was checked (`DPDK`, `PMD folder`, `native shim` …). */
  name: string;
  /** `ok`; `warn` works but deserves a look; `missing` keeps the SDK from working. */
  status: 'ok' | 'warn' | 'missing';
  /** What was found, and for `warn`/`missing` what to do about it. */
  detail: string;
}

/** What `doctor` found: every check, the DPDK selected and the shim built for it. */
export interface DoctorReport {
  /** The DPDK selected, when one was found. */
  dpdk?: DpdkInstall;
  /** The shim chosen for that DPDK: prebuilt, built here before, or to build (lib/shim-select.ts). */
  shim?: ShimChoice;
  /** Every check, in the order made. */
  checks: DoctorCheck[];
  /** True when no check is `missing`: the SDK can work here. */
  ok: boolean;
}

/** Checks the DPDK under `prefix`, or the one this process would select. */
export function diagnose(prefix?: string): DoctorReport {
  const checks: DoctorCheck[] = [];
  const report = (): DoctorReport => ({ ...extra, checks, ok: checks.every((c) => c.status !== 'missing') });
  const extra: Omit<DoctorReport, 'checks' | 'ok'> = {};
  let d: DpdkInstall;
  try {
    d = prefix === undefined ? currentDpdk() : selectDpdk(prefix);
  } catch (e) {
    checks.push({ name: 'DPDK', status: 'missing', detail: (e as Error).message });
    return report();
  }
  extra.dpdk = d;
  checks.push({
    name: 'DPDK',
    status: 'ok',
    detail: `${d.version} ${d.kind === 'build' ? 'uninstalled build folder' : 'install'} at ${d.prefix} (selected by ${d.selectedBy}), libdir ${d.libdir}, sonames librte_*.so.${d.abi}`,
  });
  if (d.kind === 'build') checks.push(buildDirCheck(d));
  const libs = ['eal', 'ethdev', 'mempool', 'mbuf'].map((n) => libraryPath(d, n));
  const absent = libs.filter((l) => !existsSync(l));
  checks.push(
    absent.length
      ? { name: 'libraries', status: 'missing', detail: `not found: ${absent.join(', ')}` }
      : {
          name: 'libraries',
          status: 'ok',
          detail: `librte_{eal,ethdev,mempool,mbuf}.so.${d.abi} in ${d.libdir}`,
        },
  );
  checks.push(pmdCheck(d));
  const choice = chooseShim(d, packagePlaces());
  extra.shim = choice;
  checks.push(shimCheck(choice, d));
  if (absent.length === 0) {
    // A real load, as the SDK's first call does it: the prebuilt shim, the cached one, or one
    // built into the cache now. When that fails, the SDK cannot work: its error names the fix.
    try {
      const b = dpdk();
      const used = loadedShim();
      if (used && choice.kind === 'build') {
        extra.shim = used;
        checks.push({ name: 'shim', status: 'ok', detail: `built now: ${used.path}` });
      }
      const v = b.dphp_built_for();
      checks.push({
        name: 'load',
        status: 'ok',
        detail: `the shim and ${b.rte_version()} load; the shim was compiled for ${v >> 16}.${String((v >> 8) & 0xff).padStart(2, '0')}.${v & 0xff}`,
      });
    } catch (e) {
      checks.push({ name: 'load', status: 'missing', detail: (e as Error).message });
    }
  }
  return report();
}

function shimCheck(choice: ShimChoice, d: DpdkInstall): DoctorCheck {
  switch (choice.kind) {
    case 'prebuilt':
      return {
        name: 'shim',
        status: 'ok',
        detail: `${choice.path}: prebuilt for DPDK ABI ${choice.stamp.abi} (compiled against ${choice.stamp.dpdk})`,
      };
    case 'cache':
      return {
        name: 'shim',
        status: 'ok',
        detail: `${choice.path}: built here for DPDK ${choice.stamp.dpdk} at ${choice.stamp.prefix}${choice.stamp.pinned ? ' (links every library a PMD needs: ld.so would not find this DPDK by soname)' : ''}`,
      };
    case 'build':
      return {
        name: 'shim',
        status: 'warn',
        detail: `${choice.why}: building one into the cache (\`${d.buildCommand}\`)`,
      };
  }
}

/**
 * A build folder: where its PMDs come from (drivers/, or the install it was installed to, which
 * its librte_eal loads anyway), and what it lacks that an install has (testpmd, for check 16).
 */
function buildDirCheck(d: DpdkInstall): DoctorCheck {
  const testpmd = join(d.prefix, 'app', 'dpdk-testpmd');
  const pmds = usesBuildDrivers(d)
    ? `PMDs loaded from ${d.pmdDir} with -d`
    : `PMDs from ${d.pmdDir}, where this build was installed (its librte_eal loads that folder at init; drivers/ is not loaded on top)`;
  const base = `libdpdk-uninstalled.pc in ${d.pcDir}, ${pmds}`;
  if (!existsSync(testpmd))
    return {
      name: 'build folder',
      status: 'warn',
      detail: `${base}; no app/dpdk-testpmd (configure with -Denable_apps=test-pmd for certify's testpmd checks)`,
    };
  return usesBuildDrivers(d)
    ? { name: 'build folder', status: 'ok', detail: `${base}, ${testpmd}` }
    : { name: 'build folder', status: 'warn', detail: `${base}, ${testpmd}` };
}

function pmdCheck(d: DpdkInstall): DoctorCheck {
  if (!d.pmdDir)
    return { name: 'PMD folder', status: 'missing', detail: `librte_eal in ${d.libdir} names none` };
  if (!existsSync(d.pmdDir))
    return {
      name: 'PMD folder',
      status: 'missing',
      detail: `${d.pmdDir} (named by librte_eal) does not exist`,
    };
  const count = readdirSync(d.pmdDir).filter((f) => /\.so$/.test(f)).length;
  const real = realpathSync(d.pmdDir);
  const inside = !relative(d.prefix, real).startsWith('..');
  return inside
    ? { name: 'PMD folder', status: 'ok', detail: `${d.pmdDir}: ${count} PMDs` }
    : {
        name: 'PMD folder',
        status: 'warn',
        detail: `${d.pmdDir}: ${count} PMDs, outside ${d.prefix}: this librte_eal loads another install's PMDs (a moved copy?)`,
      };
}

/** The report as the lines `dpdk-hotplug doctor` prints. */
export function doctorLines(r: DoctorReport): string[] {
  const width = Math.max(...r.checks.map((c) => c.name.length));
  return [
    ...r.checks.map((c) => `${c.status.padEnd(7)} ${c.name.padEnd(width)}  ${c.detail}`),
    r.ok ? 'everything the SDK needs is there' : 'something the SDK needs is missing (see above)',
  ];
}
