/**
 * Check 17's body, run by tests/hotplug.spec.ts: check 14's scenario (lib/multi-process/mp-scenario.ts, its
 * steps and waits) through a primary and a secondary dpdk-testpmd, compared with how check 14
 * ended for the same DUT. Both transcripts are attached; the comparison is lib/checks/mp-oracle.ts.
 */
import type { TestInfo } from '@playwright/test';
import { type MpOutcome, runMpOnce } from '../multi-process/mp-scenario.js';
import type { TestpmdGroup } from '../testpmd/testpmd-mp.js';
import { judgeMp, type MpJudgement, TESTPMD_DIFFERS } from './mp-oracle.js';

const line = (who: string, o: MpOutcome) =>
  `${who}: ${o.result.toUpperCase()}${o.said ? ` (${o.said})` : ''}`;

export async function mpOracleCheck(
  group: TestpmdGroup,
  target: { devargs: string; device: string; settled(): Promise<boolean>; helpers?: readonly string[] },
  sdk: MpOutcome,
  testInfo: TestInfo,
): Promise<MpJudgement & { evidence: string[] }> {
  const note = (type: string, description: string) => testInfo.annotations.push({ type, description });
  const { outcome, error } = await runMpOnce('testpmd', async () => group, {
    ...target,
    order: 'remove-unclosed',
    lastDetach: 'secondary',
    note,
  });
  // After stop: each testpmd's whole output, including what it said while quitting.
  await testInfo.attach('testpmd-primary.txt', { body: group.primary.transcript, contentType: 'text/plain' });
  for (const [i, s] of group.secondaries.entries())
    await testInfo.attach(`testpmd-secondary${i ? `-${i + 1}` : ''}.txt`, {
      body: s.transcript,
      contentType: 'text/plain',
    });
  const judgement = judgeMp(sdk, outcome, error);
  return { ...judgement, evidence: [line('check 14', sdk), line('testpmd', outcome), TESTPMD_DIFFERS] };
}
