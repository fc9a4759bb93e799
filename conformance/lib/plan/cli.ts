/**
 * `dpdk-hotplug certify`: its command line, read into a typed request, planned
 * (planner.ts) and run by the one launcher (launcher.ts), as `lab run` does without an argv.
 */
import {
  consoleIo,
  existingFolder,
  integer,
  nonEmpty,
  parseCommandLine,
  runCommand,
  UsageError,
} from '@dpdk-hotplug/args';
import { parseShard } from '../lab/inventory.js';
import { bisectCommand } from './bisect.js';
import type { CertificationPlan } from './certification-plan.js';
import { launch } from './launcher.js';
import { LIMITS, type PlanRequest, planCertification } from './planner.js';
import { REPORT_MARKER } from './report-folder.js';

export { LIMITS } from './planner.js';

const USAGE = `Usage: dpdk-hotplug certify [options]

Certifies that PMDs attach, detach and attach again, cleanly, every time.
With no --dut and no --inventory: every default vdev DUT (see conformance/README.md).

  --dut DEVARGS        a device under test: a vdev string or a PCI address bound beforehand (repeatable)
  --traffic MODE       what traffic the --dut devices can show: loopback, source-sink, tx-only, none
                       (judged on hotplug alone), or peer=IFACE (a host interface receives what they
                       send); default: what the suite knows of the PMD (lib/model/traffic-table.ts)
  --inventory FILE     the DUTs of a lab inventory (YAML or JSON, schema/inventory.schema.json);
                       --runner NAME picks one runner
  --only NAMES         comma-separated DUT names, each known (net_null,net_tap,...)
  --shard I/N          with --runner: the I-th of N slices of the runner's vdev DUTs, for N
                       identical machines (a runner with PCI DUTs is refused: its NICs are in one)
  --blob               also write a Playwright blob report in DIR/blob (dpdk-hotplug lab merge)
  --cycles N           cycles of the repeated-cycles check, 1 to 1000000 (default 1000; given, it
                       overrides each DUT's cap)
  --budget SECONDS     time budget of that check per DUT, 1 to 86400 (default 10)
  --workers N          DUTs certified side by side, 1 to 64 (default: cores + 1)
  --stop-grace SECONDS how long the run may take to stop gracefully after Ctrl-C, SIGTERM or SIGHUP
                       (its reports, its teardown), 0 to 600 (default 10; 0: none); then, or on a
                       second signal, its processes are killed and the reports keep what was written
  --out DIR            reports folder (default ./reports/certify): new, empty, or an earlier
                       report of certify (it has a ${REPORT_MARKER} file); only the files a run
                       writes are replaced; a folder another run is writing to is refused
  --expect FILE        expected findings (JSON, see conformance/README.md): failures become NEW FAIL
                       or KNOWN FAIL, and the exit code is about regressions only (below);
                       \`--expect auto\`: the file shipped for the DPDK in use (22.11, 23.11, 24.11,
                       25.11; another release is refused, never read as clean)
  --dpdk PREFIX        the DPDK installed under PREFIX (a meson install prefix), or an uninstalled
                       meson build folder, instead of pkg-config's libdpdk; the same as
                       DPDK_HOTPLUG_DPDK=PREFIX
  --driver PATH.so     an out-of-tree PMD every EAL of the run loads (-d; repeatable): the drivers
                       it registers (its PMD_INFO_STRING records) may be named by --dut, as a vdev
                       (net_mypmd0) or a PCI address of a device whose ids it claims
  --repro DIR          write a C reproducer per PMD finding into DIR (repro.c, its build command
                       and a README each), linked from the finding in the reports
  --devargs-paths A:B  the only folders the DUTs' devargs may name files and sockets in (pcap
                       files, vhost sockets …), symlinks followed; the labs' own folders under the
                       system's temporary folder are added. Default: anywhere (the DUTs are the
                       operator's). The same as DPDK_HOTPLUG_DEVARGS_PATHS=A:B
  --devargs-budget MB  the memory one DUT's rings may ask (af_packet, memif), 1 to 1048576 MiB
                       (default 256): a devargs over it is refused before DPDK sees it; the same
                       as DPDK_HOTPLUG_DEVARGS_BUDGET_MB=MB
  --sysfs DIR          where sysfs is mounted (default /sys): PCI DUTs' classes are read there, and
                       one that is not a network controller is refused; the same as
                       DPDK_HOTPLUG_SYSFS=DIR
  --bisect GOOD..BAD   with one --dut, --check N and --git DIR (a DPDK git directory): the first
                       commit between GOOD and BAD whose outcome of check N is BAD's; each step a
                       reduced DPDK build (tools/matrix dpdk-build, ccache) and a certification
                       of the DUT; reports in --out (default ./reports/bisect)
  -h, --help           this text

Numbers are decimal digits. Ctrl-C, SIGTERM or SIGHUP stops the run (a second one, or
--stop-grace seconds without an end, at once); the reports keep what was done. Killed outright (SIGKILL), certify
takes the whole run with it within 3 s; so does the death of a launcher that gives certify a
pipe as stdin and DPDK_HOTPLUG_PARENT_PIPE=1 (as npm run certify does).
Exit code: 0 when every DUT is CERTIFIED (with or without warnings), 1 when one FAILED, 2 on bad
usage, 3 when none FAILED but one is INCONCLUSIVE (it could not be judged here).
With --expect, or an inventory DUT's own \`expectations\` file: 0 when every failure is known,
1 on a NEW FAIL, 3 when nothing regressed but a DUT is INCONCLUSIVE, 2 on bad usage.
junit.xml: a test suite per DUT, its checks as test cases of the class named after it; failures
are what the exit code counts (a required check the PMD failed; with expectations, NEW FAILs).`;

/**
 * The options of the SDK's devargs policy that certify and `lab run` take (one home): the MiB one
 * DUT's rings may ask, and where sysfs is mounted.
 */
export const DEVARGS_POLICY_OPTIONS = {
  'devargs-budget': { type: 'string' },
  sysfs: { type: 'string' },
} as const;

/** --devargs-budget and --sysfs as given (undefined: not given), checked into a plan's fields; throws UsageError. */
export function devargsPolicyRequest(
  values: { 'devargs-budget'?: string | undefined; sysfs?: string | undefined },
  cwd = process.cwd(),
): Pick<PlanRequest, 'devargsBudgetMb' | 'sysfs'> {
  return {
    ...(values['devargs-budget'] !== undefined
      ? { devargsBudgetMb: integer('--devargs-budget', values['devargs-budget'], LIMITS.devargsBudget) }
      : {}),
    ...(values.sysfs !== undefined ? { sysfs: existingFolder('--sysfs', values.sysfs, cwd) } : {}),
  };
}

const OPTIONS = {
  dut: { type: 'string', multiple: true },
  inventory: { type: 'string' },
  runner: { type: 'string' },
  only: { type: 'string' },
  shard: { type: 'string' },
  blob: { type: 'boolean' },
  cycles: { type: 'string' },
  budget: { type: 'string' },
  workers: { type: 'string' },
  'stop-grace': { type: 'string' },
  out: { type: 'string' },
  expect: { type: 'string' },
  dpdk: { type: 'string' },
  driver: { type: 'string', multiple: true },
  'devargs-paths': { type: 'string' },
  ...DEVARGS_POLICY_OPTIONS,
  traffic: { type: 'string' },
  repro: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The run's plan from the command line (undefined for --help); throws UsageError. */
export function planFromArgs(argv: string[], cwd = process.cwd()): CertificationPlan | undefined {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) return undefined;
  if (positionals[0] !== 'certify' || positionals.length > 1)
    throw new UsageError('the command is `certify`');
  if (values.runner !== undefined && values.inventory === undefined)
    throw new UsageError('--runner picks a runner of an --inventory file; give the --inventory too');
  if (values.shard !== undefined && values.runner === undefined)
    throw new UsageError('--shard splits the vdev DUTs of one --runner; give --inventory and --runner too');
  const number = (option: 'cycles' | 'budget' | 'workers' | 'stop-grace') => {
    const limits = option === 'stop-grace' ? LIMITS.stopGrace : LIMITS[option];
    return values[option] === undefined ? undefined : integer(`--${option}`, values[option], limits);
  };
  return planCertification(
    {
      ...(values.dut !== undefined ? { duts: values.dut } : {}),
      ...(values.traffic !== undefined ? { traffic: values.traffic } : {}),
      ...(values.inventory !== undefined
        ? {
            inventory: {
              file: values.inventory,
              ...(values.runner !== undefined ? { runner: values.runner } : {}),
              ...(values.shard !== undefined ? { shard: parseShard(values.shard) } : {}),
            },
          }
        : {}),
      ...(values.only !== undefined ? { only: values.only.split(',') } : {}),
      ...(number('cycles') !== undefined ? { cycles: number('cycles') } : {}),
      ...(number('budget') !== undefined ? { budgetS: number('budget') } : {}),
      ...(number('workers') !== undefined ? { workers: number('workers') } : {}),
      ...(number('stop-grace') !== undefined ? { stopGraceS: number('stop-grace') } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
      ...(values.expect !== undefined ? { expect: values.expect } : {}),
      ...(values.dpdk !== undefined ? { dpdk: values.dpdk } : {}),
      ...(values.driver !== undefined ? { drivers: values.driver } : {}),
      ...(values['devargs-paths'] !== undefined
        ? {
            devargsPaths: nonEmpty('--devargs-paths', values['devargs-paths'])
              .split(':')
              .filter((p) => p !== ''),
          }
        : {}),
      ...devargsPolicyRequest(values, cwd),
      ...(values.blob ? { blob: true } : {}),
      ...(values.repro !== undefined ? { repro: values.repro } : {}),
      command: ['dpdk-hotplug', ...argv],
    },
    cwd,
  );
}

/** `dpdk-hotplug certify ARGV`: plans and launches the run; resolves with the exit code. */
export async function certify(argv: string[]): Promise<number> {
  // certify --bisect: a search over DPDK commits, each step a build and a run (plan/bisect.ts).
  if (argv.some((a) => a === '--bisect' || a.startsWith('--bisect='))) return bisectCommand(argv);
  return runCommand('certify', consoleIo(), false, async () => {
    const plan = planFromArgs(argv);
    if (!plan) {
      console.log(USAGE);
      return 0;
    }
    return launch(plan);
  });
}
