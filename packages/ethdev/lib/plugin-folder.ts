import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { worldWritableOnPath } from './drivers.js';

const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'build');

/**
 * Where a folder DPDK accepts for plugins (`-d`, a prefix's PMD folder) can be made, first that
 * works: this package's build/ (in a clone under /tmp it is below a world-writable folder), the
 * user's XDG cache, then /var/cache (root's, 0755).
 */
function candidates(): string[] {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return [buildDir, join(cache, 'dpdk-hotplug', 'plugins'), '/var/cache/dpdk-hotplug/plugins'];
}

/** A folder made by pluginFolder(): where it is, and how to remove it. */
export interface PluginFolder {
  /** The folder's absolute path. */
  path: string;
  /** Deletes the folder and everything in it. */
  remove(): void;
}

/**
 * A new, empty folder DPDK accepts plugins from (no world-writable folder on its path), for tests
 * and tools that place a PMD or a DPDK copy; `tag` starts its name. `remove()` deletes it.
 * Throws naming every place tried when none is acceptable.
 */
export function pluginFolder(tag: string): PluginFolder {
  const refused: string[] = [];
  for (const parent of candidates()) {
    try {
      // 0755 (less the umask): never world-writable itself.
      mkdirSync(parent, { recursive: true, mode: 0o755 });
    } catch (e) {
      refused.push(`${parent}: ${(e as Error).message}`);
      continue;
    }
    const open = worldWritableOnPath(parent);
    if (open !== undefined) {
      refused.push(`${parent}: ${open} is world-writable`);
      continue;
    }
    const path = mkdtempSync(join(parent, `${tag}-`));
    return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
  }
  throw new Error(`no folder DPDK accepts plugins from could be made: ${refused.join('; ')}`);
}
