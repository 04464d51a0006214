/**
 * The set-up an end-to-end test file shares with the others of its suite: one test bed for the file (started
 * before its tests, closed after them), fresh jobs with numbered names, scripted runs, and reading log groups.
 *
 *   const bed = suiteBed('rel-job');
 *   it('...', async () => { const job = await bed.newJob(); ... bed.standIn ... });
 */
import { afterAll, beforeAll, expect } from 'vitest';
import {
  APP_API_VERSIONS_WITH_2026_07_01,
  type ExecutionScript,
  type SeedOptions,
  type StandInOptions,
} from '../standin/index.ts';
import { startBed, type Bed, type E2eRun } from './e2e.ts';
import { armExecution, type ArmExecution } from './arm-json.ts';

/**
 * `options` for a file whose tests are not about long-running operations: Azure ends each create or update at its
 * first poll (1 s) instead of after two InProgress answers (7 s with the action's 1, 2, 4 s back-off). The answers
 * keep their recorded shapes (status codes, headers); only the count of InProgress answers changes.
 */
export function quickLro(options: StandInOptions = {}): StandInOptions {
  return { ...options, arm: { ...options.arm, lro: { ...options.arm?.lro, inProgressPolls: 0 } } };
}

/** A public image the stand-in's registry check lets through. */
export const IMAGE = 'mcr.microsoft.com/k8se/quickstart-jobs:latest';

export interface SuiteBed extends Bed {
  /** The next job name of this file (`prefix-1`, `prefix-2`...), for a job a test makes itself. */
  nextJobName: () => string;
  /** A fresh job (deployed with IMAGE in the seeded environment, plus `inputs`) for one test. */
  newJob: (inputs?: Record<string, string>) => Promise<string>;
  /** The job's executions as the stand-in holds them. */
  executions: (job: string) => ArmExecution[];
  /** Starts `job` with the execution following `script`, logs read from the stand-in's Log Analytics too. */
  runScripted: (
    job: string,
    script: ExecutionScript,
    inputs?: Record<string, string>,
    options?: Parameters<Bed['run']>[1],
  ) => Promise<E2eRun>;
}

/** A test bed for this file: registers its start (beforeAll) and its close (afterAll) with vitest. */
export function suiteBed(jobPrefix: string, options: StandInOptions = {}, seed: SeedOptions = {}): SuiteBed {
  let started: Bed | undefined;
  let seq = 0;
  const bed = (): Bed => {
    if (!started) throw new Error('the test bed is used before beforeAll started it');
    return started;
  };
  beforeAll(async () => {
    started = await startBed(options, seed);
  });
  afterAll(async () => {
    await started?.close();
  });
  const suite: SuiteBed = {
    get standIn() {
      return bed().standIn;
    },
    get world() {
      return bed().world;
    },
    baseInputs: () => bed().baseInputs(),
    run: (inputs, runOptions) => bed().run(inputs, runOptions),
    close: () => bed().close(),
    nextJobName: () => `${jobPrefix}-${++seq}`,
    async newJob(inputs = {}) {
      const name = suite.nextJobName();
      const r = await bed().run({ 'job-name': name, environment: bed().world.environment, image: IMAGE, ...inputs });
      expect(r.errors).toEqual([]);
      return name;
    },
    executions: (job) =>
      bed()
        .standIn.arm.listExecutions(bed().world.resourceGroup, job)
        .map((e) => armExecution(e)),
    runScripted(job, script, inputs = {}, runOptions = {}) {
      bed().standIn.arm.scriptExecutions(bed().world.resourceGroup, job, script);
      return bed().run(
        { 'job-name': job, start: 'true', 'log-analytics-endpoint': bed().standIn.urls.loganalytics, ...inputs },
        runOptions,
      );
    },
  };
  return suite;
}

/**
 * The log lines of the groups whose title matches (the harness shows a group as "▼ title" and its lines
 * indented), a stream's "(continued)" groups included.
 */
export function group(r: E2eRun, title: RegExp): string[] {
  const lines = r.log.split('\n');
  const out: string[] = [];
  lines.forEach((l, at) => {
    if (!l.startsWith('▼ ') || !title.test(l)) return;
    for (const m of lines.slice(at + 1)) {
      if (!m.startsWith('  ')) break;
      out.push(m.slice(2));
    }
  });
  return out;
}

/** The timestamp the action puts before each line of a container's output. */
export const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

/** The container's lines among a group's lines, without their timestamps. */
export const text = (lines: string[]): string[] => lines.filter((l) => TS.test(l)).map((l) => l.replace(TS, ''));

/**
 * The logs-edge files' bed (logs-edges, logs-stream-retry, logs-stream-missing): one job made at the start, in a
 * region that lists 2026-07-01 (their tests are about what the action does with its answers and assert no
 * warnings), and a run that scripts the next execution and starts it with Log Analytics reachable.
 */
export function logsEdgeBed(): {
  bed: () => Bed;
  run: (script: ExecutionScript, inputs?: Record<string, string>) => Promise<E2eRun>;
} {
  let bed: Bed;
  const job = 'edge-job';
  beforeAll(async () => {
    bed = await startBed(quickLro({ arm: { apiVersions: APP_API_VERSIONS_WITH_2026_07_01 } }));
    const r = await bed.run({ 'job-name': job, environment: bed.world.environment, image: IMAGE });
    expect(r.errors).toEqual([]);
  });
  afterAll(async () => {
    await bed?.close();
  });
  return {
    bed: () => bed,
    run: (script, inputs = {}) => {
      bed.standIn.arm.scriptExecutions(bed.world.resourceGroup, job, script);
      return bed.run({
        'job-name': job,
        start: 'true',
        'log-analytics-endpoint': bed.standIn.urls.loganalytics,
        ...inputs,
      });
    },
  };
}
