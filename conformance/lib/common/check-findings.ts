/**
 * What a check says of its own result beyond pass and fail — whose a failure is (`fault`), what
 * the machine lacks (`needs`), the evidence — handed from the worker to the certification
 * reporter typed: one JSON attachment per statement, read back as JSON, never parsed from text.
 * The same statements are shown as annotations in Playwright's HTML report, for readers only.
 */
import type { Fault } from '../model/summary.js';

export interface CheckFinding {
  fault?: Fault;
  needs?: string;
  evidence?: string[];
}

/** The attachment a finding travels in. */
export const FINDING_ATTACHMENT = 'dpdk-hotplug-finding';

/** The annotation types a finding is shown as (the reporter keeps them out of a check's notes). */
export const FINDING_ANNOTATIONS: ReadonlySet<string> = new Set(['fault', 'needs', 'evidence']);

interface Attachment {
  name: string;
  contentType: string;
  body?: Buffer;
}

/** What `addFinding` writes to: a Playwright TestInfo (the worker side of the hand-off). */
export interface FindingSink {
  annotations: { type: string; description?: string }[];
  attachments: Attachment[];
}

/** Records `finding` for the reporter (and the HTML report). Empty evidence lines are dropped. */
export function addFinding(testInfo: FindingSink, finding: CheckFinding): void {
  const evidence = (finding.evidence ?? []).filter((e) => e !== '');
  const typed: CheckFinding = {
    ...(finding.fault ? { fault: finding.fault } : {}),
    ...(finding.needs ? { needs: finding.needs } : {}),
    ...(evidence.length ? { evidence } : {}),
  };
  if (!Object.keys(typed).length) return;
  testInfo.attachments.push({
    name: FINDING_ATTACHMENT,
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify(typed)),
  });
  if (typed.fault) testInfo.annotations.push({ type: 'fault', description: typed.fault });
  if (typed.needs) testInfo.annotations.push({ type: 'needs', description: typed.needs });
  for (const e of evidence) testInfo.annotations.push({ type: 'evidence', description: e });
}

/**
 * The findings a check's result carries, in the order they were added: the first `fault` and
 * `needs` said, every evidence line.
 */
export function findingOf(attachments: readonly Attachment[]): CheckFinding {
  const out: CheckFinding = {};
  for (const a of attachments) {
    if (a.name !== FINDING_ATTACHMENT || !a.body) continue;
    const f = JSON.parse(a.body.toString()) as CheckFinding;
    if (f.fault && !out.fault) out.fault = f.fault;
    if (f.needs && !out.needs) out.needs = f.needs;
    if (f.evidence?.length) out.evidence = [...(out.evidence ?? []), ...f.evidence];
  }
  return out;
}
