/**
 * The core of the action, end to end: the bundled dist/index.js run as the GitHub runner runs it, against the
 * HTTPS stand-in of GitHub OIDC, Entra ID and Azure Resource Manager.
 *
 * Part of the core suite (split for parallel runs): tokens that expire while the action runs.
 */
import { describe, expect, it } from 'vitest';
import { startBed } from '../../test-support/e2e.ts';
import { quickLro } from '../../test-support/e2e-suite.ts';

describe('inputs and authentication', () => {
  it('asks GitHub for a fresh token whenever Azure needs a new one (short token lifetimes)', async () => {
    const short = await startBed(quickLro({ tokenLifetimeSec: 2, oidcTokenLifetimeSec: 2 }));
    try {
      await short.run({
        'job-name': 'frank-job',
        environment: short.world.environment,
        image: 'mcr.microsoft.com/k8se/quickstart-jobs:latest',
      });
      short.standIn.arm.scriptExecutions(short.world.resourceGroup, 'frank-job', { durationMs: 6000 });
      const before = short.standIn.github.issued;
      const r = await short.run({ 'job-name': 'frank-job', start: 'true' });
      expect(r.errors).toEqual([]);
      expect(r.outputs['execution-status']).toBe('Succeeded');
      expect(r.arm.filter((q) => q.status === 401)).toEqual([]);
      expect(short.standIn.github.issued - before).toBeGreaterThan(2);
      expect(r.requests.filter((q) => q.host === 'entra' && q.method === 'POST').length).toBeGreaterThan(2);
    } finally {
      await short.close();
    }
  });
});
