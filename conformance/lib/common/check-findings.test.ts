import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import CertificationReporter from '../runner/certification-reporter.js';
import { addFinding, FINDING_ATTACHMENT, type FindingSink, findingOf } from './check-findings.js';

const sink = (): FindingSink => ({ annotations: [], attachments: [] });

describe('check findings: the typed hand-off from a check to the reporter', () => {
  it('travel as JSON attachments, shown as annotations, read back merged in order', () => {
    const info = sink();
    addFinding(info, { fault: 'environment', needs: 'hugepages', evidence: ['first', ''] });
    addFinding(info, { fault: 'pmd', evidence: ['second'] });
    addFinding(info, {}); // nothing said: nothing written
    expect(info.attachments.map((a) => [a.name, a.contentType])).toEqual([
      [FINDING_ATTACHMENT, 'application/json'],
      [FINDING_ATTACHMENT, 'application/json'],
    ]);
    expect(info.annotations.map((a) => a.type)).toEqual(['fault', 'needs', 'evidence', 'fault', 'evidence']);
    // The first fault said wins, as a check says it before its controls do.
    expect(findingOf(info.attachments)).toEqual({
      fault: 'environment',
      needs: 'hugepages',
      evidence: ['first', 'second'],
    });
  });

  it('the reporter takes fault, needs and evidence from the attachments, not from annotation text', () => {
    const out = mkdtempSync(join(tmpdir(), 'dphp-finding-'));
    try {
      const reporter = new CertificationReporter({ outputDir: out });
      const dut = { name: 'a', pmd: 'net_null', devargs: 'net_null0', setup: 'none', traffic: 'source-sink' };
      const tests = ['1. attach', '2. traffic'].map((title) => ({ title }));
      reporter.onBegin(
        { projects: [{ name: 'a', outputDir: join(out, 'a'), use: { dut } }] } as never,
        {
          allTests: () => tests,
          suites: [{ project: () => ({ name: 'a' }), allTests: () => tests }],
        } as never,
      );
      const testCase = (title: string) =>
        ({ title, annotations: [], parent: { project: () => ({ name: 'a' }) } }) as never;
      const failed = (info: FindingSink) =>
        ({
          status: 'failed',
          duration: 1,
          errors: [{ message: 'Error: boom' }],
          steps: [],
          ...info,
        }) as never;
      const typed = sink();
      addFinding(typed, { fault: 'environment', needs: 'a peer NIC', evidence: ['ip said no'] });
      reporter.onTestEnd(testCase('1. attach'), failed(typed));
      // Annotations alone (text a check wrote by hand) are no finding: the PMD's, no evidence.
      reporter.onTestEnd(
        testCase('2. traffic'),
        failed({ attachments: [], annotations: [{ type: 'fault', description: 'environment' }] }),
      );
      const [one, two] = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).duts[0].checks;
      expect([one.fault, one.needs, one.evidence, one.notes]).toEqual([
        'environment',
        'a peer NIC',
        ['ip said no'],
        [],
      ]);
      expect([two.fault, two.evidence, two.notes]).toEqual([undefined, undefined, []]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
