/**
 * Typed views of the ARM JSON the tests read: a job or an execution as the stand-in's GET shows it, and the bodies
 * the action sends. The parts of a job (configuration, template, identity) are the SDK's models, which name every
 * member as the wire does; an execution's times stay the wire's text.
 */
import type { JobExecutionTemplate, JobProperties, ManagedServiceIdentity } from '@azure/arm-appcontainers';

/** A job's body on the wire (GET answer, PUT or PATCH body): `properties` nested, as ARM has it. */
export interface ArmJobBody {
  id?: string;
  name?: string;
  location?: string;
  tags?: Record<string, string>;
  identity?: ManagedServiceIdentity;
  properties?: JobProperties;
}

/** A job as GET shows it: always with its properties. */
export interface ArmJob extends ArmJobBody {
  name: string;
  properties: JobProperties;
}

/** An execution as GET (or the list of executions) shows it. */
export interface ArmExecution {
  id?: string;
  name: string;
  properties: {
    status?: string;
    startTime?: string;
    endTime?: string;
    template?: JobExecutionTemplate;
  };
}

/** The stand-in's job as ARM would return it; fails the test when there is no such job. */
export function armJob(json: object | undefined, what = 'the job'): ArmJob {
  if (json === undefined) throw new Error(`The stand-in has no ${what}.`);
  return json as ArmJob;
}

/** The stand-in's execution as ARM would return it; fails the test when there is no such execution. */
export function armExecution(json: object | undefined, what = 'the execution'): ArmExecution {
  if (json === undefined) throw new Error(`The stand-in has no ${what}.`);
  return json as ArmExecution;
}

/** A request body the action sent (a job's PUT or PATCH), parsed. */
export function armJobBody(body: unknown): ArmJobBody {
  if (typeof body !== 'object' || body === null) throw new Error(`Expected a JSON object body, got ${typeof body}.`);
  return body;
}

/** The body of a start request (the execution's containers and init containers), parsed. */
export function armStartBody(body: unknown): JobExecutionTemplate {
  if (typeof body !== 'object' || body === null) throw new Error(`Expected a JSON object body, got ${typeof body}.`);
  return body;
}
