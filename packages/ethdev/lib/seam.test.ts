/**
 * The seam loads nothing native: dpdk-binding.ts (the interface, its types and the shim's
 * sizes) and fake-dpdk.ts import no koffi, so a test of logic above DPDK on the fake never
 * loads the binding. Each import runs in a fresh Node process (the built dist/), which then says
 * whether koffi's module was evaluated and whether its native addon was mapped; importing
 * binding.js is the control that shows the probe sees koffi when it is there.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Loaded {
  koffiModule: boolean;
  koffiAddon: boolean;
}

function loadedBy(module: string): Loaded {
  const url = new URL(`../dist/${module}`, import.meta.url).href;
  const probe = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(url)});
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const objects = process.report.getReport().sharedObjects;
    console.log(JSON.stringify({
      koffiModule: cache.some((f) => f.includes('/node_modules/koffi/')),
      koffiAddon: objects.some((f) => /koffi.*\\.node$/.test(f)),
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    timeout: 20_000,
  });
  return JSON.parse(out) as Loaded;
}

describe('the seam under Eal', () => {
  it('importing the fake DPDK loads no koffi', () => {
    expect(loadedBy('fake-dpdk.js')).toEqual({ koffiModule: false, koffiAddon: false });
  });

  it('importing the seam interface loads no koffi', () => {
    expect(loadedBy('dpdk-binding.js')).toEqual({ koffiModule: false, koffiAddon: false });
  });

  it('importing the real binding does load koffi (the probe sees it)', () => {
    expect(loadedBy('binding.js')).toEqual({ koffiModule: true, koffiAddon: true });
  });
});
