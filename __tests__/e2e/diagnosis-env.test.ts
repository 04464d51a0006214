/**
 * The course's first run: a job created without POSTGRES_URL crashes on its first os.environ lookup. The bundled
 * action, through the runner harness against the stand-in, names the variable and how to add it; when the job
 * does set it, it says the value may be empty or wrong instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_API_VERSIONS_WITH_2026_07_01 } from '../../standin/index.ts';
import { startBed, type Bed } from '../../test-support/e2e.ts';

let bed: Bed;
beforeAll(async () => {
  // The field lists api-versions up to 2026-01-01 (the stand-in's default): Azure's reason and message come only
  // with 2026-07-01, which this file's tests are about, so the region lists it.
  bed = await startBed(
    { arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } },
    { resourceGroup: 'rg-hyf-data', environment: 'env-hyf-data', registry: 'hyfregistry' },
  );
});
afterAll(async () => {
  await bed?.close();
});

const crash = {
  durationMs: 600,
  outcome: 'Failed' as const,
  exitCode: 1,
  reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
  logs: [
    'INFO Fetching observations for 2026-11-01',
    'Traceback (most recent call last):',
    '  File "/app/pipeline.py", line 57, in <module>',
    '    engine = create_engine(os.environ["POSTGRES_URL"])',
    '  File "<frozen os>", line 714, in __getitem__',
    "KeyError: 'POSTGRES_URL'",
  ],
};

describe('diagnosis: a missing environment variable', () => {
  it('names the variable the job does not set and how to add it (env-vars, or secretref: with secrets)', async () => {
    const job = 'alice-weather-job';
    const created = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: `${bed.world.registryServer}/alice-weather-pipeline:1.0`,
      'env-vars': 'LOG_LEVEL=INFO',
    });
    expect(created.errors).toEqual([]);
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, crash);
    const r = await bed.run({ 'job-name': job, start: 'true' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    const first = r.errors[0]!.split('\n')[0]!;
    expect(first).toContain(
      "the program needs environment variable POSTGRES_URL, which the job does not set (its output: KeyError: 'POSTGRES_URL'); add it to input 'env-vars' as POSTGRES_URL=<value>, or for a secret as POSTGRES_URL=secretref:postgres-url with postgres-url=${{ secrets.POSTGRES_URL }} in input 'secrets'.",
    );
    // Azure's reason in plain words, and the summary shows the same first line
    expect(first).toContain(
      "Azure's reason BackoffLimitExceeded: the container exited with an error and the job allows no retries (replica-retry-limit 0).",
    );
    // (the summary escapes punctuation as HTML entities: read it as the page renders it)
    const rendered = r.summary.replace(/&#(\d{1,5});/g, (_, c: string) => String.fromCharCode(Number(c)));
    expect(rendered).toContain('the program needs environment variable POSTGRES_URL, which the job does not set');
  });

  it('says the variable is set but may be empty or wrong when the job sets it', async () => {
    const job = 'bob-weather-job';
    const created = await bed.run({
      'job-name': job,
      environment: bed.world.environment,
      image: `${bed.world.registryServer}/bob-weather-pipeline:1.0`,
      'env-vars': 'POSTGRES_URL=secretref:postgres-url',
      secrets: 'postgres-url=not-a-url',
    });
    expect(created.errors).toEqual([]);
    bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, crash);
    const r = await bed.run({ 'job-name': job, start: 'true' }, { secrets: ['not-a-url'] });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /the program reports environment variable POSTGRES_URL \(from secret 'postgres-url'\) missing .*, but the job sets it: the value may be empty or wrong/,
    );
    expect(r.errors[0]).not.toMatch(/which the job does not set/);
  });
});
