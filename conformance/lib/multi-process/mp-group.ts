import { runtimeFolder } from '../common/ledger.js';
import { MpProcess } from './mp-process.js';
import type { MpGroup, MpPeer } from './mp-scenario.js';

/** A group whose processes are of one kind: the SDK's children (check 14) or testpmd (check 17). */
export interface PeerGroup<P extends MpPeer> extends MpGroup {
  primary: P;
  /** Every secondary started, in order (a failed start is tried again by the scenario). */
  readonly secondaries: P[];
}

/**
 * A primary (made now) and its secondaries under one `--file-prefix`, each made by `make`. `stop`
 * ends the secondaries, then the primary, and removes the instance's runtime folder, which is in
 * the run's ledger until then. Stopping twice does nothing.
 */
export function peerGroup<P extends MpPeer>(
  prefix: string,
  make: (role: 'primary' | 'secondary') => P,
): PeerGroup<P> {
  const runtime = runtimeFolder(prefix);
  const primary = make('primary');
  const secondaries: P[] = [];
  let stopped = false;
  return {
    primary,
    secondaries,
    startSecondary() {
      const secondary = make('secondary');
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

/** Check 14's group: the SDK's own child processes, on the hugetlbfs at `hugeDir`. */
export function mpGroup(prefix: string, hugeDir: string): MpGroup {
  return peerGroup(prefix, (role) => new MpProcess(role, prefix, hugeDir));
}
