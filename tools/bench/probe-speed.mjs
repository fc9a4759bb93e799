// pmd-probe speed: every installed PMD's PMD_INFO_STRING (ours and dpdk-pmdinfo.py on the same
// files), and a whole DPDK source tree scanned (BENCH_DPDK_SRC, when there is one).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { installedPmdDir, scanPmdInfo, scanSource } from '@dpdk-hotplug/pmd-probe';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const ms = [];
  let result;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    result = await fn();
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), result };
}

const dir = await installedPmdDir();
const plain = await time(() => scanPmdInfo(dir));
const deps = await time(() => scanPmdInfo(dir, { followNeeded: true }));
const files = plain.result.files;
const py = await time(() =>
  execFileSync('/usr/bin/python3', ['/usr/bin/dpdk-pmdinfo.py', ...files], { maxBuffer: 1 << 28 }),
);
console.log(`\npmd-probe, median of ${RUNS} runs`);
console.log(
  `  installed PMDs (${files.length} .so, ${plain.result.drivers.length} drivers): ${plain.ms.toFixed(0)} ms (goal ≤ 2000 ms)`,
);
console.log(
  `  same files with their librte_* dependencies, as dpdk-pmdinfo.py reads them: ${deps.ms.toFixed(0)} ms; dpdk-pmdinfo.py: ${py.ms.toFixed(0)} ms (${(py.ms / deps.ms).toFixed(1)}× ours)`,
);
const src = process.env.BENCH_DPDK_SRC;
if (src && existsSync(src)) {
  const scan = await time(() => scanSource(src));
  const cFiles = Number(execFileSync('sh', ['-c', `find '${src}' -name '*.c' | wc -l`]).toString());
  console.log(
    `  source tree ${src} (${cFiles} .c, ${scan.result.files} .c/.h files, ${scan.result.drivers.length} drivers): ${scan.ms.toFixed(0)} ms (goal ≤ 2000 ms)`,
  );
} else {
  console.log(
    '  source tree: skipped (set BENCH_DPDK_SRC to a DPDK source tree, e.g. drivers/ and lib/ of v22.11)',
  );
}
