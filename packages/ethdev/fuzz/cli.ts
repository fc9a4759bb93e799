/**
 * `npm run fuzz [-- --count N --seed S --from I --only I,J --jobs J --batch B --timeout MS --out FILE]`:
 * the long mode of the devargs and options fuzzer. Prints the figures, writes the JSON report
 * (default reports/fuzz/report.json), exits 1 when a finding is unexplained or an open known one
 * (known.ts), 2 for bad usage.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  consoleIo,
  EXIT_FAILED,
  EXIT_OK,
  integer,
  makeFolders,
  nonEmpty,
  parseCommandLine,
  runCommand,
} from '@dpdk-hotplug/args';
import { cannotRun, FUZZ_DIR, openFindings, runFuzz, summary, unexplained } from './runner.js';

const HELP = `usage: npm run fuzz -- [options]
  --count N     inputs to run (default 100000)
  --seed S      the PRNG seed (default 1); input i of seed S is always the same input
  --from I      the first input's index (default 0)
  --only I,J    only these input indices (to replay a finding)
  --jobs J      children at once (default 2)
  --batch B     inputs per child (default 250)
  --timeout MS  a devargs input running longer is a hang (default 5000; options inputs twice it)
  --out FILE    the JSON report (default reports/fuzz/report.json)`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    count: { type: 'string' },
    seed: { type: 'string' },
    from: { type: 'string' },
    only: { type: 'string' },
    jobs: { type: 'string' },
    batch: { type: 'string' },
    timeout: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  const count = integer('--count', values.count, { min: 1, max: 10_000_000, default: 100_000 });
  const seed = integer('--seed', values.seed, { min: 0, max: 0xffffffff, default: 1 });
  const from = integer('--from', values.from, { min: 0, max: 0xffffffff, default: 0 });
  const jobs = integer('--jobs', values.jobs, { min: 1, max: 64, default: 2 });
  const batchSize = integer('--batch', values.batch, { min: 1, max: 100_000, default: 250 });
  const inputTimeoutMs = integer('--timeout', values.timeout, { min: 100, max: 600_000, default: 5000 });
  const only =
    values.only === undefined
      ? undefined
      : nonEmpty('--only', values.only)
          .split(',')
          .map((i) => integer('--only', i, { min: 0, max: 0xffffffff }));
  const out = resolve(
    values.out === undefined
      ? join(FUZZ_DIR, '../../../reports/fuzz/report.json')
      : nonEmpty('--out', values.out),
  );
  const why = cannotRun();
  if (why) {
    console.error(`dpdk-hotplug fuzz: cannot run here: ${why}`);
    return EXIT_FAILED;
  }
  let last = 0;
  const report = await runFuzz({
    seed,
    count: only ? only.length : count,
    from,
    jobs,
    batchSize,
    inputTimeoutMs,
    ...(only ? { only } : {}),
    onProgress: (done, total) => {
      if (done - last >= 5000 || done === total) {
        last = done;
        process.stderr.write(`fuzz: ${done}/${total}\n`);
      }
    },
  });
  makeFolders(dirname(out));
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  for (const line of summary(report)) console.log(line);
  console.log(`report: ${out}`);
  return unexplained(report).length === 0 && openFindings(report).length === 0 ? EXIT_OK : EXIT_FAILED;
}

// Every command's shell (packages/args): bad usage one line, exit 2; any other failure one line, exit 1.
process.exitCode = await runCommand(
  'fuzz',
  consoleIo(),
  false,
  () => main(process.argv.slice(2)),
  (e) => {
    console.error(`dpdk-hotplug fuzz: ${(e as Error).message}`);
    return EXIT_FAILED;
  },
);
