/**
 * A failed program that missed an environment variable: the error names the variable and how to add it when the
 * job does not set it, and says it may be empty or wrong when the job does. The output is untrusted text.
 */
import type { Job, JobExecution } from '@azure/arm-appcontainers';
import { describe, expect, it } from 'vitest';
import { diagnose, type Evidence } from '../../src/execution/diagnose.ts';
import { exitInfo, type Outcome } from '../../src/execution/execution.ts';
import { MAX_LINE, missingEnv, secretNameFor } from '../../src/execution/missing-env.ts';

const NAME = 'alice-weather-job-k2j9x1q';
const REPLICA = `${NAME}-r0a1b`;
const KEY = `${REPLICA}/alice-weather-job`;

const failedExec: JobExecution = {
  status: 'Failed',
  reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
  detailedStatus: {
    replicas: [
      {
        name: REPLICA,
        containers: [{ name: 'alice-weather-job', status: 'Failed', code: 1, additionalInformation: 'Error' }],
      },
    ],
  },
};

function outcome(execution: JobExecution = failedExec): Outcome {
  return {
    status: 'Failed',
    execution,
    ...exitInfo(execution),
    reason: execution.reason,
    message: execution.message,
    durationSec: 4,
  };
}

type Env = { name: string; value?: string; secretRef?: string }[];

function job(env: Env = [{ name: 'LOG_LEVEL', value: 'INFO' }]): Job {
  return {
    location: 'eastus',
    configuration: { triggerType: 'Manual', replicaTimeout: 300, replicaRetryLimit: 0 },
    template: { containers: [{ name: 'alice-weather-job', image: 'hyfregistry.azurecr.io/a:1', env }] },
  };
}

function evidence(lines: string[], j: Job = job(), key = KEY): Evidence {
  return {
    job: j,
    events: [],
    tailOf: (k, n) => (k === key ? lines.slice(-n) : []),
    waiting: [],
    streams: [key],
  };
}

const pythonTraceback = [
  '2026-11-01T06:00:01.120Z INFO Fetching observations for 2026-11-01',
  '2026-11-01T06:00:01.500Z Traceback (most recent call last):',
  '2026-11-01T06:00:01.500Z   File "/app/pipeline.py", line 12, in <module>',
  '2026-11-01T06:00:01.500Z     engine = create_engine(os.environ["POSTGRES_URL"])',
  '2026-11-01T06:00:01.500Z                            ~~~~~~~~~~^^^^^^^^^^^^^^^^',
  '2026-11-01T06:00:01.500Z   File "<frozen os>", line 714, in __getitem__',
  "2026-11-01T06:00:01.500Z KeyError: 'POSTGRES_URL'",
];

describe('missingEnv: the families of messages', () => {
  const cases: [string, string[], string[]][] = [
    ['Python KeyError with an os.environ traceback', pythonTraceback, ['POSTGRES_URL']],
    [
      "Python 3.10's os.py frame",
      [
        '  File "/usr/local/lib/python3.10/os.py", line 680, in __getitem__',
        '    raise KeyError(key) from None',
        "KeyError: 'api_key'",
      ],
      ['api_key'],
    ],
    [
      'a bare upper-case KeyError',
      ["KeyError: 'AZURE_STORAGE_CONNECTION_STRING'"],
      ['AZURE_STORAGE_CONNECTION_STRING'],
    ],
    ['pydantic / environ style', ['ValueError: POSTGRES_URL environment variable is not set'], ['POSTGRES_URL']],
    ['environs', ['environs.EnvError: Environment variable "DB_URL" not set'], ['DB_URL']],
    ['"environment variable X is not set"', ['error: environment variable API_TOKEN is not set'], ['API_TOKEN']],
    [
      '"Missing required environment variable X"',
      ['Missing required environment variable: POSTGRES_URL'],
      ['POSTGRES_URL'],
    ],
    ['django-environ', ['ImproperlyConfigured: Set the SECRET_KEY environment variable'], ['SECRET_KEY']],
    [
      'python-decouple',
      ['decouple.UndefinedValueError: DB_HOST not found. Declare it as envvar or define a default value.'],
      ['DB_HOST'],
    ],
    [
      'Python os.getenv read, then None',
      ['    port = int(os.getenv("PORT"))', "TypeError: int() argument must be a string, not 'NoneType'"],
      ['PORT'],
    ],
    ['Node process.env.X is undefined', ['Error: process.env.POSTGRES_URL is undefined'], ['POSTGRES_URL']],
    ['Node "X is not defined in process.env"', ['Error: DATABASE_URL is not defined in process.env'], ['DATABASE_URL']],
    [
      'dotenv-safe',
      [
        'MissingEnvVarsError: The following variables were defined in .env.example but are not present in the environment:',
        '  POSTGRES_URL, AZURE_STORAGE_CONNECTION_STRING',
        'Make sure to add them to .env or directly to the environment.',
        '    at config (/app/node_modules/dotenv-safe/index.js:31:15)',
      ],
      ['POSTGRES_URL', 'AZURE_STORAGE_CONNECTION_STRING'],
    ],
    [
      'envalid',
      [
        '================================',
        ' Missing environment variables:',
        '    POSTGRES_URL: undefined',
        ' Exiting with error code 1',
      ],
      ['POSTGRES_URL'],
    ],
    ['env-var', ['EnvVarError: env-var: "REDIS_URL" is a required variable, but it was not set'], ['REDIS_URL']],
    ['Go "X must be set"', ['panic: POSTGRES_URL must be set', '', 'goroutine 1 [running]:'], ['POSTGRES_URL']],
    ['Go envconfig', ['envconfig.Process: required key POSTGRES_URL missing value'], ['POSTGRES_URL']],
    ['Go caarlos0/env', ['env: required environment variable "POSTGRES_URL" is not set'], ['POSTGRES_URL']],
    [
      'Java System.getenv with a NullPointerException',
      [
        'Exception in thread "main" java.lang.NullPointerException: Cannot invoke "String.length()" because the return value of "java.lang.System.getenv(String)" is null',
        '\tat App.main(App.java:5) // System.getenv("POSTGRES_URL")',
      ],
      ['POSTGRES_URL'],
    ],
    [
      'Spring placeholder (relaxed binding)',
      ['java.lang.IllegalArgumentException: Could not resolve placeholder \'db.url\' in value "${db.url}"'],
      ['DB_URL'],
    ],
    [
      '.NET "Environment variable \'X\' is not set"',
      ["Unhandled exception. System.InvalidOperationException: Environment variable 'POSTGRES_URL' is not set."],
      ['POSTGRES_URL'],
    ],
    [
      '.NET ArgumentNullException from ThrowIfNull(GetEnvironmentVariable(...))',
      [
        'Unhandled exception. System.ArgumentNullException: Value cannot be null. (Parameter \'Environment.GetEnvironmentVariable("POSTGRES_URL")\')',
      ],
      ['POSTGRES_URL'],
    ],
    [
      '.NET ArgumentNullException naming it',
      ["System.ArgumentNullException: Value cannot be null. (Parameter 'POSTGRES_URL')"],
      ['POSTGRES_URL'],
    ],
  ];
  for (const [what, lines, names] of cases) {
    it(what, () => {
      expect(missingEnv(lines)?.names).toEqual(names);
    });
  }

  it('says nothing for errors that are not about the environment', () => {
    for (const lines of [
      ["KeyError: 'station_id'"], // a dictionary key, not a variable
      ['ValueError: no data for 2026-11-01'],
      ['    url = os.environ["POSTGRES_URL"]', 'psycopg.OperationalError: connection refused'], // read, and it was there
      ['The environment variable is not set'], // no name
      ['password must be set'], // not a variable's name
      ["System.ArgumentNullException: Value cannot be null. (Parameter 'connectionString')"],
    ]) {
      expect(missingEnv(lines)).toBeUndefined();
    }
  });

  it('a bare upper-case KeyError is a guess; a traceback through os.environ is certain', () => {
    expect(missingEnv(["KeyError: 'POSTGRES_URL'"])?.certain).toBe(false);
    expect(missingEnv(pythonTraceback)?.certain).toBe(true);
    expect(missingEnv(pythonTraceback)?.evidence).toBe("KeyError: 'POSTGRES_URL'");
  });

  it('reads bounded lines: a huge hostile line neither hangs the scan nor names what lies beyond the bound', () => {
    const hostile = 'environment variable '.repeat(200_000) + 'X';
    expect(missingEnv([hostile])).toBeUndefined();
    const far = `${'a'.repeat(MAX_LINE)} environment variable POSTGRES_URL is not set`;
    expect(missingEnv([far])).toBeUndefined();
    const many = Array.from({ length: 5000 }, () => `${'A'.repeat(1000)} must be set ${'_'.repeat(1000)}`);
    expect(missingEnv(many)).toBeUndefined(); // a name is at most 128 characters
  });

  it('quotes only the matched words of the untrusted line, never the rest of it', () => {
    const found = missingEnv([
      '<img src=x> [click](https://evil.example) environment variable API_TOKEN is not set ::error::x',
    ]);
    expect(found?.evidence).toBe('environment variable API_TOKEN is not set');
  });

  it('secret names for the secretref: form', () => {
    expect(secretNameFor('POSTGRES_URL')).toBe('postgres-url');
    expect(secretNameFor('__X__')).toBe('x');
  });
});

describe('diagnose: a missing environment variable', () => {
  it('names the variable the job does not set and how to add it, as a value or a secret', () => {
    const d = diagnose(outcome(), 'alice-weather-job', NAME, 360, evidence(pythonTraceback));
    expect(d.kind).toBe('missing-env');
    expect(d.message.split('\n')[0]).toBe(
      "Execution 'alice-weather-job-k2j9x1q' of job 'alice-weather-job' ended Failed after 4 s: container alice-weather-job-k2j9x1q-r0a1b/alice-weather-job exited with code 1 (Azure: BackoffLimitExceeded, Job has reached the specified backoff limit): the program needs environment variable POSTGRES_URL, which the job does not set (its output: KeyError: 'POSTGRES_URL'); add it to input 'env-vars' as POSTGRES_URL=<value>, or for a secret as POSTGRES_URL=secretref:postgres-url with postgres-url=${{ secrets.POSTGRES_URL }} in input 'secrets'. Azure's reason BackoffLimitExceeded: the container exited with an error and the job allows no retries (replica-retry-limit 0).",
    );
    // the last lines follow, as for any exit
    expect(d.message).toContain(`\nLast log lines of ${KEY}:\n`);
    expect(d.message.endsWith("KeyError: 'POSTGRES_URL'")).toBe(true);
  });

  it('says the variable is set but may be empty or wrong when the job sets it', () => {
    const j = job([{ name: 'POSTGRES_URL', secretRef: 'postgres-url' }]);
    const d = diagnose(outcome(), 'alice-weather-job', NAME, 360, evidence(pythonTraceback, j));
    expect(d.kind).toBe('missing-env');
    expect(d.message).toMatch(
      /the program reports environment variable POSTGRES_URL \(from secret 'postgres-url'\) missing \(its output: KeyError: 'POSTGRES_URL'\), but the job sets it: the value may be empty or wrong/,
    );
    expect(d.message).not.toMatch(/which the job does not set/);
  });

  it('counts a per-execution override (execution-env-vars) as set', () => {
    const ran: JobExecution = {
      ...failedExec,
      template: {
        containers: [
          { name: 'alice-weather-job', image: 'x', env: [{ name: 'POSTGRES_URL', value: 'postgres://h/db' }] },
        ],
      },
    };
    const d = diagnose(outcome(ran), 'alice-weather-job', NAME, 360, evidence(pythonTraceback));
    expect(d.message).toMatch(/but the job sets it/);
  });

  it('names only the variables the job does not set, and hedges a guess', () => {
    const lines = [
      'MissingEnvVarsError: The following variables were defined in .env.example but are not present in the environment:',
      '  LOG_LEVEL, POSTGRES_URL, AZURE_STORAGE_CONNECTION_STRING',
    ];
    const d = diagnose(outcome(), 'alice-weather-job', NAME, 360, evidence(lines));
    expect(d.message).toMatch(
      /needs environment variables POSTGRES_URL and AZURE_STORAGE_CONNECTION_STRING, which the job does not set .*; add them to input 'env-vars' as POSTGRES_URL=<value>/,
    );
    const guess = diagnose(outcome(), 'alice-weather-job', NAME, 360, evidence(["KeyError: 'POSTGRES_URL'"]));
    expect(guess.message).toMatch(/the program probably needs environment variable POSTGRES_URL/);
  });

  it('without an exit code (API versions before 2026-07-01), reads the streams it saw', () => {
    const old: JobExecution = { status: 'Failed' };
    const d = diagnose(outcome(old), 'alice-weather-job', NAME, 360, evidence(pythonTraceback));
    expect(d.kind).toBe('missing-env');
    expect(d.message).toMatch(
      /^Execution '.*' ended Failed after 4 s: the program needs environment variable POSTGRES_URL/,
    );
  });

  it('keeps the plain exit diagnosis when the output says nothing about the environment', () => {
    const d = diagnose(outcome(), 'alice-weather-job', NAME, 360, evidence(['ValueError: bad date']));
    expect(d.kind).toBe('exit');
  });
});
