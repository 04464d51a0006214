/**
 * Real Azure, not our model of it: the bundled action against answers the field shows (field-evidence.md):
 * RFC 7807 validation errors and gateway pages, and a job busy with
 * another operation.
 *
 * Part of the field-azure suite (split in files so that no file holds the parallel run back).
 */
import { describe, expect, it } from 'vitest';
import { quickLro, suiteBed } from '../../test-support/e2e-suite.ts';

const bed = suiteBed('field-job', quickLro());
const { newJob } = bed;

describe('error shapes in the one error line', () => {
  it('RFC 7807 problem details keep their title, errors and traceId', async () => {
    const job = await newJob();
    bed.standIn.faults.add({
      host: 'arm',
      method: 'PATCH',
      kind: 'raw',
      status: 400,
      contentType: 'application/problem+json; charset=utf-8',
      body: JSON.stringify({
        type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
        title: 'One or more validation errors occurred.',
        status: 400,
        traceId: '00-8c1f6b2a51e4b7d3-01',
        errors: { $: ["Unknown properties 'foo' are not supported."] },
      }),
    });
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v2' });
    expect(r.errors).toEqual([
      `Azure refused to update job '${job}' in resource group '${bed.world.resourceGroup}' (400 BadRequest): One or more validation errors occurred. Unknown properties 'foo' are not supported. (traceId 00-8c1f6b2a51e4b7d3-01).`,
    ]);
  });

  it('an HTML page from a gateway is cut to a short text', async () => {
    const job = await newJob();
    bed.standIn.faults.add({
      host: 'arm',
      method: 'PATCH',
      kind: 'raw',
      status: 403,
      contentType: 'text/html',
      body: '<html><head><title>403 Forbidden</title><style>h1{}</style></head><body><h1>403 Forbidden</h1><hr><center>Microsoft-Azure-Application-Gateway/v2</center></body></html>',
    });
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v2' });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(
      '(403 Forbidden): HTTP 403 from a gateway: 403 Forbidden Microsoft-Azure-Application-Gateway/v2.',
    );
  });
});

describe('a job busy with another operation', () => {
  it('waits for it, says so once, re-reads the job and applies the change', async () => {
    const job = await newJob();
    bed.standIn.faults.add({
      host: 'arm',
      method: 'PATCH',
      kind: 'status',
      status: 409,
      code: 'ContainerAppsJobOperationInProgress',
      message: `Cannot modify a container apps job '${job}' because there is an active provisioning operation in progress. OperationId: '4f0c2d9e-1b7a-4c55-9e0e-6d1c2b3a4f5e'`,
    });
    const r = await bed.run({ 'job-name': job, 'image-tag': 'v3' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['job-operation']).toBe('updated');
    expect(r.log.match(/has another change in progress in Azure/g)).toHaveLength(1);
    expect(r.log).toMatch(/operation 4f0c2d9e-1b7a-4c55-9e0e-6d1c2b3a4f5e\): waiting up to 10 min/);
    expect(r.writes.filter((w) => w.startsWith('PATCH'))).toHaveLength(2);
    const wire = bed.standIn.arm.getJob(bed.world.resourceGroup, job) as {
      properties: { template: { containers: { image: string }[] } };
    };
    expect(wire.properties.template.containers[0]?.image).toMatch(/:v3$/);
  });
});
