/**
 * Playwright compiles each module its processes load (Babel) into its transform cache. A module
 * only the workers load — the runner's lab module, imported by the suite's `pciLab` fixture — is
 * compiled by the first worker that loads it, Babel loaded first: a second on a server, over two
 * minutes in a QEMU guest under TCG. There, check 101's hang guard (135 s: the test's 120 s and
 * 15) killed the check while its fixture waited for the module (the fixture's own 300 s had not
 * run out), on both runners of a run whose cache had no lab module yet (a fresh lab cache, or the
 * module rebuilt). Neither the runner process nor a listing of the suite loads it.
 * `compileForWorkers` compiles such modules in a Playwright runner process — a throwaway config
 * that imports them, listed — into the cache the workers read.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The runner's lab module, as `lab run` names it to the suite. */
export const RUNNER_LAB_MODULE = fileURLToPath(new URL('./pci-lab.js', import.meta.url));

/**
 * Playwright's transform cache folder: an internal variable of Playwright 1.x (its own tests use
 * it); without it the cache is in the temporary folder.
 */
export const TRANSFORM_CACHE_ENV = 'PWTEST_CACHE_DIR';

/**
 * Compiles `modules` (absolute paths) into Playwright's transform cache `cacheDir`, as a runner
 * process would. Resolves once Playwright has exited (it lists no tests: its exit code says
 * nothing), or after `timeoutMs` (the workers then compile them themselves, slower, same result).
 */
export async function compileForWorkers(
  modules: readonly string[],
  cacheDir: string,
  timeoutMs = 120_000,
): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'dphp-worker-cache-'));
  try {
    mkdirSync(join(work, 'no-tests'));
    const config = join(work, 'compile.config.mjs');
    writeFileSync(
      config,
      `${modules.map((m) => `import ${JSON.stringify(pathToFileURL(m).href)};`).join('\n')}\nexport default { testDir: ${JSON.stringify(join(work, 'no-tests'))} };\n`,
    );
    const conformance = createRequire(import.meta.url).resolve('@dpdk-hotplug/conformance/package.json');
    const playwright = createRequire(conformance).resolve('@playwright/test/cli');
    const child = spawn(process.execPath, [playwright, 'test', '-c', config, '--list'], {
      cwd: work,
      stdio: 'ignore',
      env: { ...process.env, [TRANSFORM_CACHE_ENV]: cacheDir },
    });
    await new Promise<void>((done) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', () => done());
      child.on('exit', () => {
        clearTimeout(timer);
        done();
      });
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
