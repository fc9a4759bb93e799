// The matrix's pmd-probe step, in one release (inside.mjs --pmdinfo, after pmd-probe is built):
// pmd-probe's reading of the installed PMDs against the `dpdk-pmdinfo.py` of the same DPDK (the
// one its prefix installed: a source build's own script, Debian's /usr/bin one), and, when the
// release has a source tree, pmd-probe's source scan of that tree.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A record without its file, keys sorted: what two readers of one PMD must agree on. */
export const recordKey = ({ file: _file, ...rest }) => JSON.stringify(rest, Object.keys(rest).sort());

/** The records only one side has, as keys (a few of each, for the report). */
export function compareRecords(ours, theirs, limit = 5) {
  const a = new Set(ours.map(recordKey));
  const b = new Set(theirs.map(recordKey));
  const onlyOurs = [...a].filter((k) => !b.has(k));
  const onlyTheirs = [...b].filter((k) => !a.has(k));
  return {
    equal: onlyOurs.length === 0 && onlyTheirs.length === 0,
    ours: a.size,
    theirs: b.size,
    onlyOurs: onlyOurs.slice(0, limit),
    onlyTheirs: onlyTheirs.slice(0, limit),
  };
}

/**
 * Runs the step with pmd-probe's and ethdev's API (their built entries) and returns what the
 * report records: { dpdk, script, files, equal, ours, theirs, onlyOurs, onlyTheirs, source? }
 * or { error } when a side could not be read.
 */
export async function pmdinfoStep({ probe, ethdev, tree }) {
  // The DPDK the SDK selects (DPDK_HOTPLUG_DPDK, else pkg-config's), and its own script.
  const dpdk = ethdev.currentDpdk();
  const pmdDir = await probe.installedPmdDir();
  const script = join(dpdk.prefix, 'bin', 'dpdk-pmdinfo.py');
  const result = { dpdk: dpdk.version, prefix: dpdk.prefix, pmdDir, script };
  if (!existsSync(script)) return { ...result, error: `${dpdk.prefix} installed no bin/dpdk-pmdinfo.py` };
  const plain = await probe.scanPmdInfo(pmdDir);
  const ours = await probe.scanPmdInfo(pmdDir, { followNeeded: true });
  // Debian's python3 (with python3-pyelftools), not one a pyenv put first on PATH.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const py = spawnSync(python, [script, ...plain.files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (py.status !== 0)
    return { ...result, error: `${script} exited ${py.status}: ${py.stderr.trim().split('\n').pop()}` };
  Object.assign(result, {
    files: plain.files.length,
    ...compareRecords(ours.drivers, JSON.parse(py.stdout)),
  });
  if (tree) {
    const scan = await probe.scanSource(tree);
    const by = (v) => scan.drivers.filter((d) => d.verdict === v).map((d) => d.name);
    result.source = {
      tree,
      era: scan.era,
      files: scan.files,
      drivers: scan.drivers.length,
      detachable: by('detachable').length,
      notDetachable: by('not-detachable'),
      unknown: by('unknown'),
    };
  }
  return result;
}
