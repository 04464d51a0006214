/** Small fixtures several unit tests start from; override what a test is about. */
import type { JobConfiguration } from '@azure/arm-appcontainers';
import type { Report } from '../src/report/report.ts';

/** A Manual job's configuration as GET returns it (secrets by name only, no values). */
export function manualConfiguration(extra: Partial<JobConfiguration> = {}): JobConfiguration {
  return {
    triggerType: 'Manual',
    replicaTimeout: 300,
    replicaRetryLimit: 0,
    manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
    secrets: [{ name: 'postgres-url' }],
    ...extra,
  };
}

/** The report of a run whose execution failed, for the summary and outputs. */
export function failedReport(extra: Partial<Report> = {}): Report {
  return {
    jobName: 'job',
    resourceGroup: 'rg',
    jobId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/jobs/job',
    portalBase: 'https://portal.azure.com',
    dryRun: false,
    changes: [],
    execution: { name: 'job-abc1234', status: 'Failed' },
    ...extra,
  };
}
