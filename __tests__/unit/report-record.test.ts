import { describe, expect, it } from 'vitest';
import { outputsOf, renderSummary, type Report } from '../../src/report/report.ts';
import { executionUsage } from '../../src/report/cost.ts';

const BASE: Report = {
  jobName: 'alice-weather-job',
  resourceGroup: 'rg-data',
  jobId: '/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.App/jobs/alice-weather-job',
  portalBase: 'https://portal.azure.com',
  dryRun: false,
  changes: [],
};
const RECORD = {
  repository: 'octo-org/octo-repo',
  sha: 'abc1234def5678',
  runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/4242',
};

describe('summary: run record', () => {
  it('says which run last changed the job, with the short commit', () => {
    const s = renderSummary({ ...BASE, operation: 'unchanged', lastChangedBy: RECORD });
    expect(s).toContain('Job last changed by <https://github.com/octo-org/octo-repo/actions/runs/4242> (`abc1234`).');
  });

  it('says it was the run before this one when this step wrote the job', () => {
    const s = renderSummary({ ...BASE, operation: 'updated', lastChangedBy: RECORD });
    expect(s).toContain('Before this step, the job was last changed by <https://github.com');
  });

  it('shows a record that is not a run URL as inert text (anyone who edits the job can set tags)', () => {
    const s = renderSummary({
      ...BASE,
      lastChangedBy: { repository: 'x', sha: '`oops`', runUrl: '[click](https://evil.example) <b>hi</b>' },
    });
    expect(s).not.toContain('[click]');
    expect(s).not.toContain('<b>');
    expect(s).not.toContain('`oops`');
  });
});

describe('summary: usage', () => {
  it('shows the vCPU-seconds, GiB-seconds and the estimate of a finished execution', () => {
    const usage = executionUsage({
      durationSec: 120,
      containers: [{ resources: { cpu: 0.5, memory: '1Gi' } }],
      parallelism: 2,
    })!;
    const s = renderSummary({ ...BASE, usage, execution: { name: 'e1', status: 'Succeeded', durationSec: 120 } });
    expect(s).toContain('120 vCPU-seconds and 240 GiB-seconds');
    expect(s).toContain('$0.0036'); // 120 × 0.000024 + 240 × 0.000003
    expect(s).toMatch(/free grant .* not subtracted/);
  });
});

describe('rollback: summary and output', () => {
  it('says what was put back and sets rolled-back', () => {
    const report: Report = {
      ...BASE,
      rollbackAsked: true,
      rollback: { rolledBack: true, note: 'image acr.example/app:1, env MODE=full' },
    };
    expect(renderSummary(report)).toContain('**Rolled back:** image acr');
    expect(outputsOf(report)['rolled-back']).toBe('true');
  });

  it("sets rolled-back to false when rollback was asked and not done, and leaves it out when it wasn't asked", () => {
    const report: Report = {
      ...BASE,
      rollbackAsked: true,
      rollback: { rolledBack: false, note: 'created by this step' },
    };
    expect(renderSummary(report)).toContain('**Not rolled back:** created by this step');
    expect(outputsOf(report)['rolled-back']).toBe('false');
    expect(outputsOf({ ...BASE, rollbackAsked: true })['rolled-back']).toBe('false');
    expect(outputsOf(BASE)['rolled-back']).toBeUndefined();
  });
});
