import { runtimeFolder } from './ledger.js';
import { MpProcess } from './mp-process.js';
import type { MpGroup } from './mp-scenario.js';

/**
 * A primary (started now) and its secondaries under one `--file-prefix`, on the hugetlbfs at
 * `hugeDir`. `stop` ends them and removes the instance's runtime folder; it is in the run's
 * ledger until then. Stopping twice does nothing.
 */
export function mpGroup(prefix: string, hugeDir: string): MpGroup {
  const runtime = runtimeFolder(prefix);
  const primary = new MpProcess('primary', prefix, hugeDir);
  const secondaries: MpProcess[] = [];
  let stopped = false;
  return {
    primary,
    startSecondary() {
      const secondary = new MpProcess('secondary', prefix, hugeDir);
      secondaries.push(secondary);
      return secondary;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of secondaries) await s.stop();
      await primary.stop();
      runtime.remove();
    },
  };
}
