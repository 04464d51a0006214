/**
 * Job definition files: parsing against the spec's key tree (unknown keys with line and nearest key, types, the
 * Azure CLI's shapes), the file's own rules, applying it over a live job, the diff / merge patch, references.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateJobKeys, OUTPUT_FILE } from '../../scripts/gen-job-keys.ts';
import { parseConfig } from '../../src/inputs/config.ts';
import {
  applyFile,
  checkReferences,
  diffJobs,
  jobToWire,
  nearestKey,
  nextRunsNote,
  parseDefinition,
  secretValuesInYaml,
  wireToJob,
  type Definition,
  type Obj,
} from '../../src/job/definition.ts';

const root = join(import.meta.dirname, '..', '..');
const UAI =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-worker';
const ENV_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/Microsoft.App/managedEnvironments/env-data';

/** The message parseDefinition throws for `text`. */
function problem(text: string, file = 'job.yaml'): string {
  try {
    parseDefinition(text, file);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('parseDefinition accepted the text');
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('the key tree', () => {
  it('src/job/job-keys.ts is what scripts/gen-job-keys.ts generates from the spec', async () => {
    expect(readFileSync(OUTPUT_FILE, 'utf8')).toBe(await generateJobKeys());
  });
});

describe('parseDefinition: keys', () => {
  it('names the file, the line and the nearest known key of a misspelled key', () => {
    expect(problem(lines('properties:', '  configuration:', '    triggerType: Manual', '    replicaTimout: 300'))).toBe(
      "job-yaml file 'job.yaml' line 4: unknown key 'replicaTimout' in properties.configuration; did you mean 'replicaTimeout'?",
    );
    expect(problem(lines('tags: {}', 'propertes: {}'))).toBe(
      "job-yaml file 'job.yaml' line 2: unknown key 'propertes' at the top level; did you mean 'properties'?",
    );
  });

  it('says keys are case-sensitive, where a misplaced key belongs, and lists the keys when nothing is near', () => {
    expect(
      problem(lines('properties:', '  template:', '    containers:', '      - name: app', '        Image: x:1')),
    ).toBe(
      "job-yaml file 'job.yaml' line 5: unknown key 'Image' in properties.template.containers[0]: keys are case-sensitive, write 'image'.",
    );
    expect(problem(lines('properties:', '  configuration:', "    cronExpression: '0 6 * * *'"))).toBe(
      "job-yaml file 'job.yaml' line 3: unknown key 'cronExpression' in properties.configuration: it belongs under properties.configuration.scheduleTriggerConfig.cronExpression.",
    );
    expect(problem(lines('identity:', '  type: SystemAssigned', '  flavour: x'))).toBe(
      "job-yaml file 'job.yaml' line 3: unknown key 'flavour' in identity; the keys allowed there are type, userAssignedIdentities.",
    );
  });

  it('checks types and allowed values, and reports every problem in one message, in line order', () => {
    const m = problem(
      lines(
        'properties:',
        '  configuration:',
        '    triggerType: Cron',
        '    replicaTimeout: "300"',
        '    secrets: {name: a}',
        '  template:',
        '    containers:',
        '      - name: app',
        '        command: /bin/run',
      ),
    );
    expect(m).toBe(
      "job-yaml file 'job.yaml' has 4 problems: line 3: properties.configuration.triggerType must be one of Schedule, Event, Manual, not 'Cron'; line 4: properties.configuration.replicaTimeout must be a whole number, not text; line 5: properties.configuration.secrets must be a list ('- ' items), not a mapping; line 9: properties.template.containers[0].command must be a list ('- ' items), not text.",
    );
  });

  it('takes enum values in any case and writes them as the spec does; numbers in text fields become text', () => {
    const d = parseDefinition(
      lines(
        'identity:',
        "  type: 'SystemAssigned, UserAssigned'",
        '  userAssignedIdentities:',
        `    ${UAI}: {}`,
        'tags:',
        '  cost-center: 4711',
        'properties:',
        '  configuration: {triggerType: manual, replicaTimeout: 60}',
      ),
      'job.yaml',
    );
    expect(d.wire.identity).toEqual({ type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [UAI]: {} } });
    expect(d.wire.tags).toEqual({ 'cost-center': '4711' });
    expect((d.wire.properties as Obj).configuration).toEqual({ triggerType: 'Manual', replicaTimeout: 60 });
  });

  it("accepts the Azure CLI's shapes: top-level configuration/template/managedEnvironmentId, and show output", () => {
    const d = parseDefinition(
      lines(
        `id: ${ENV_ID.replace('managedEnvironments/env-data', 'jobs/x')}`,
        'name: my-job',
        'type: Microsoft.App/jobs',
        'resourceGroup: rg-data',
        'location: West Europe',
        'systemData: {createdBy: someone, createdByType: User}',
        'identity:',
        '  type: UserAssigned',
        '  principalId: 00000000-0000-0000-0000-000000000001',
        '  userAssignedIdentities:',
        `    ${UAI}: {clientId: 00000000-0000-0000-0000-000000000002, principalId: 00000000-0000-0000-0000-000000000003}`,
        `managedEnvironmentId: ${ENV_ID}`,
        'configuration:',
        '  triggerType: Manual',
        '  replicaTimeout: 60',
        'template:',
        '  containers:',
        '    - name: app',
        '      image: x:1',
        '      resources: {cpu: 0.5, memory: 1Gi, ephemeralStorage: 2Gi}',
        'properties:',
        '  provisioningState: Succeeded',
        '  eventStreamEndpoint: https://x',
        '  workloadProfileName: Consumption',
      ),
      'show.yaml',
    );
    expect(d.name).toBe('my-job');
    expect(d.wire).toEqual({
      location: 'West Europe',
      identity: { type: 'UserAssigned', userAssignedIdentities: { [UAI]: {} } },
      properties: {
        workloadProfileName: 'Consumption',
        environmentId: ENV_ID,
        configuration: { triggerType: 'Manual', replicaTimeout: 60 },
        template: { containers: [{ name: 'app', image: 'x:1', resources: { cpu: 0.5, memory: '1Gi' } }] },
      },
    });
    expect(problem(lines('template: {}', 'properties:', '  template: {}'))).toMatch(
      /line 1: template is given both at the top level and under properties: keep one\.$/,
    );
    expect(problem(lines('type: Microsoft.App/containerApps'))).toMatch(/line 1: type must be Microsoft\.App\/jobs/);
  });

  it('reports YAML syntax errors with line and column and never quotes the file', () => {
    const m = problem(
      lines('properties:', '  configuration:', '    secrets:', '      - name: a', '        value: "s3cr3t-value'),
    );
    expect(m).toMatch(/^job-yaml file 'job\.yaml' is not valid YAML at line \d+, column \d+: /);
    expect(m).not.toContain('s3cr3t');
    expect(problem('a: 1\na: 2\n')).toBe(
      "job-yaml file 'job.yaml' is not valid YAML at line 2, column 1: a key is given twice in the same mapping: keep one.",
    );
    expect(problem('')).toMatch(/is empty/);
    expect(problem('- a\n')).toMatch(/must hold a mapping/);
  });

  it('finds secret values to mask, even in a file that does not parse', () => {
    expect(
      secretValuesInYaml(
        lines(
          'properties:',
          '  configuration:',
          '    secrets:',
          '      - {name: a, value: v4lue-1}',
          '      - name: b',
          '        value: "v4lue-2',
        ),
      ),
    ).toEqual(expect.arrayContaining(['v4lue-1']));
    expect(secretValuesInYaml(lines('configuration:', '  secrets:', '    - name: a', '      value: 12345'))).toContain(
      '12345',
    );
    // a multi-line value is masked whole and line by line, as the runner masks
    const pem = lines(
      'secrets:',
      '  - name: cert',
      '    value: |',
      '      -----BEGIN KEY-----',
      '      AbCdEf0123',
      '      -----END KEY-----',
    );
    expect(secretValuesInYaml(pem)).toEqual(
      expect.arrayContaining(['-----BEGIN KEY-----\nAbCdEf0123\n-----END KEY-----\n', 'AbCdEf0123']),
    );
  });

  it('says YAML merge keys are not supported', () => {
    expect(problem(lines('base: &b {replicaTimeout: 5}', 'properties:', '  configuration:', '    <<: *b'))).toContain(
      "line 1: unknown key 'base' at the top level",
    );
    expect(problem(lines('properties:', '  configuration:', '    <<: {replicaTimeout: 5}'))).toBe(
      "job-yaml file 'job.yaml' line 3: YAML merge keys ('<<') are not supported (in properties.configuration): write the keys out.",
    );
  });
});

describe('parseDefinition: the rules of a job', () => {
  const conf = (...l: string[]): string => lines('properties:', '  configuration:', ...l.map((x) => `    ${x}`));

  it('infers the trigger type from the only trigger block, and refuses a block of another type', () => {
    const d = parseDefinition(
      conf('replicaTimeout: 60', 'scheduleTriggerConfig:', "  cronExpression: '0 6 * * *'"),
      'f',
    );
    expect(((d.wire.properties as Obj).configuration as Obj).triggerType).toBe('Schedule');
    expect(problem(conf('triggerType: Manual', 'eventTriggerConfig: {parallelism: 1}'))).toBe(
      "job-yaml file 'job.yaml' line 4: properties.configuration.eventTriggerConfig does not go with triggerType Manual: use manualTriggerConfig (or set triggerType: Event).",
    );
  });

  it('validates the cron expression of a schedule, with its line', () => {
    expect(problem(conf('triggerType: Schedule', 'scheduleTriggerConfig:', "  cronExpression: '0 6 * *'"))).toMatch(
      /^job-yaml file 'job\.yaml' line 5: cronExpression '0 6 \* \*' is not valid: it has 4 fields/,
    );
    const noCron = parseDefinition(conf('triggerType: Schedule', 'replicaTimeout: 60'), 'job.yaml');
    expect(() => checkReferences(noCron.wire, noCron, 'job')).toThrow(
      /line 3: job 'job' has trigger type Schedule but no schedule: set .*cronExpression/,
    );
  });

  it('needs scale rules for an Event job, each with a name, a type and complete auth; min not above max', () => {
    const noRules = parseDefinition(conf('triggerType: Event', 'replicaTimeout: 60'), 'job.yaml');
    expect(() => checkReferences(noRules.wire, noRules, 'job')).toThrow(
      /line 3: job 'job' has trigger type Event but no scale rules, so it would never run/,
    );
    const m = problem(
      conf(
        'triggerType: Event',
        'eventTriggerConfig:',
        '  scale:',
        '    minExecutions: 5',
        '    maxExecutions: 2',
        '    rules:',
        '      - name: q',
        '        auth: [{secretRef: conn}]',
      ),
    );
    expect(m).toContain('line 6: minExecutions (5) is more than maxExecutions (2)');
    expect(m).toContain("line 9: scale rule 'q' needs a type, the KEDA scaler");
    expect(m).toContain("line 10: each auth entry of scale rule 'q' needs both secretRef");
  });

  it('checks secrets: a Key Vault reference needs an identity and a secret URL; value or keyVaultUrl, not both', () => {
    const m = problem(
      conf(
        'secrets:',
        '  - name: a',
        '    keyVaultUrl: https://kv.vault.azure.net/secrets/a',
        '  - name: b',
        '    value: x',
        '    keyVaultUrl: https://kv.vault.azure.net/secrets/b',
        '    identity: system',
        '  - name: C_1',
        '    keyVaultUrl: http://kv/a',
        '    identity: system',
      ),
    );
    expect(m).toContain("line 4: secret 'a' reads Key Vault, so it needs identity");
    expect(m).toContain("line 6: secret 'b' has both value and keyVaultUrl: keep one");
    expect(m).toContain("secret name 'C_1' must be lowercase letters");
    expect(m).toContain("secret 'C_1' keyVaultUrl must be a Key Vault secret URL");
  });

  it('checks identities and container names', () => {
    expect(
      problem(lines('identity:', '  type: SystemAssigned', '  userAssignedIdentities:', `    ${UAI}: {}`)),
    ).toMatch(
      /line 1: identity type SystemAssigned does not include UserAssigned.*write type: 'SystemAssigned,UserAssigned'/,
    );
    expect(problem(lines('identity:', '  userAssignedIdentities:', '    id-worker: {}'))).toMatch(
      /line 3: identity.userAssignedIdentities key 'id-worker' must be a user-assigned identity's resource ID/,
    );
    expect(problem(lines('template:', '  containers:', '    - name: App', '    - image: x'))).toMatch(
      /line 3: container name 'App' must be lowercase.*line 4: properties\.template\.containers\[1\] needs a name/,
    );
  });

  it("the README's Jobs as code section shows examples/job.yaml as it is", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.split('## Jobs as code')[1]!.split('\n## ')[0]!;
    expect(section).toContain(`\`\`\`yaml\n${readFileSync(join(root, 'examples', 'job.yaml'), 'utf8')}\`\`\``);
  });

  it('parses the README example (examples/job.yaml)', () => {
    const d = parseDefinition(readFileSync(join(root, 'examples', 'job.yaml'), 'utf8'), 'examples/job.yaml');
    const props = d.wire.properties as Obj;
    expect((props.configuration as Obj).triggerType).toBe('Event');
    const rule = (((props.configuration as Obj).eventTriggerConfig as Obj).scale as Obj).rules as Obj[];
    expect(rule[0]).toMatchObject({ name: 'orders-queue', type: 'azure-queue', metadata: { queueLength: '5' } });
    expect(d.lines.get('template.containers[worker].image')).toBeGreaterThan(1);
    // Its references resolve as they are.
    expect(() => checkReferences(d.wire, d, 'orders-worker')).not.toThrow();
  });
});

describe('applying a file over a live job, and the plan', () => {
  const live = (): Obj =>
    jobToWire({
      name: 'job',
      location: 'westeurope',
      tags: { team: 'data', owner: 'portal' },
      environmentId: ENV_ID,
      identity: { type: 'None' },
      configuration: {
        triggerType: 'Manual',
        replicaTimeout: 300,
        replicaRetryLimit: 0,
        manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
        secrets: [{ name: 'pg', value: 'pg-value' }],
        identitySettings: [],
      },
      template: {
        containers: [
          {
            name: 'app',
            image: 'x:1',
            env: [
              { name: 'A', value: '1' },
              { name: 'PG', secretRef: 'pg' },
            ],
            resources: { cpu: 0.5, memory: '1Gi', ephemeralStorage: '2Gi' },
          },
        ],
      },
    });
  const def = (text: string): Definition => parseDefinition(text, 'job.yaml');

  it("keeps what the file does not name (a container's resources, other secrets and tags)", () => {
    const d = def(
      lines(
        'tags: {team: ml}',
        'properties:',
        '  configuration:',
        '    secrets: [{name: api, value: api-value}]',
        '  template:',
        '    containers:',
        '      - name: app',
        '        env: [{name: A, value: "2"}]',
      ),
    );
    const out = applyFile(live(), d);
    expect(out.tags).toEqual({ team: 'ml', owner: 'portal' });
    const props = out.properties as Obj;
    expect((props.configuration as Obj).secrets).toEqual([
      { name: 'pg', value: 'pg-value' },
      { name: 'api', value: 'api-value' },
    ]);
    // The file owns the env list it names, and the container keeps its image and resources.
    expect((props.template as Obj).containers).toEqual([
      { name: 'app', image: 'x:1', env: [{ name: 'A', value: '2' }], resources: { cpu: 0.5, memory: '1Gi' } },
    ]);
  });

  it('makes the smallest merge patch, with the required configuration members, and marks drift', () => {
    const l = live();
    const d = def(lines('properties:', '  configuration:', '    replicaRetryLimit: 2'));
    const fromFile = applyFile(l, d);
    const diff = diffJobs(l, fromFile, fromFile);
    expect(diff.patch).toEqual({
      properties: { configuration: { triggerType: 'Manual', replicaTimeout: 300, replicaRetryLimit: 2 } },
    });
    expect(diff.changes).toEqual([
      { field: 'configuration.replicaRetryLimit', from: '0', to: '2', source: 'job-yaml' },
    ]);
    expect(diffJobs(l, l, l)).toEqual({ changes: [] });
  });

  it('switches the trigger: the old block is removed with null', () => {
    const l = live();
    const d = def(
      lines(
        'properties:',
        '  configuration:',
        '    triggerType: Schedule',
        '    scheduleTriggerConfig:',
        "      cronExpression: '0 6 * * *'",
      ),
    );
    const fromFile = applyFile(l, d);
    const conf = (fromFile.properties as Obj).configuration as Obj;
    expect(conf.manualTriggerConfig).toBeUndefined();
    expect(diffJobs(l, fromFile, fromFile).patch).toEqual({
      properties: {
        configuration: {
          triggerType: 'Schedule',
          replicaTimeout: 300,
          manualTriggerConfig: null,
          scheduleTriggerConfig: { cronExpression: '0 6 * * *' },
        },
      },
    });
  });

  it('sends a changed secrets list whole and never shows a secret value', () => {
    const l = live();
    const d = def(lines('properties:', '  configuration:', '    secrets: [{name: pg, value: n3w-value}]'));
    const fromFile = applyFile(l, d);
    const diff = diffJobs(l, fromFile, fromFile);
    expect(((diff.patch!.properties as Obj).configuration as Obj).secrets).toEqual([
      { name: 'pg', value: 'n3w-value' },
    ]);
    expect(diff.changes).toEqual([
      { field: 'configuration.secrets[pg]', from: '(set)', to: '(new value)', source: 'job-yaml' },
    ]);
    expect(JSON.stringify(diff.changes)).not.toContain('n3w-value');
  });

  it('keeps the value of a secret the file names without one (as az containerapp job show prints secrets)', () => {
    const l = live();
    const d = def(lines('properties:', '  configuration:', '    secrets: [{name: pg}]'));
    const fromFile = applyFile(l, d);
    expect(((fromFile.properties as Obj).configuration as Obj).secrets).toEqual([{ name: 'pg', value: 'pg-value' }]);
    expect(diffJobs(l, fromFile, fromFile)).toEqual({ changes: [] });
    expect(() => checkReferences(fromFile, d, 'job', new Set(['pg']))).not.toThrow();
    const fresh = def(lines('properties:', '  configuration:', '    secrets: [{name: api}]'));
    expect(() => checkReferences(applyFile(l, fresh), fresh, 'job', new Set(['pg']))).toThrow(
      "job-yaml file 'job.yaml' line 3: secret 'api' has no value and the job does not have it yet: pass the value in input 'secrets' (api=${{ secrets.… }}) or make it a Key Vault reference (keyVaultUrl and identity).",
    );
  });

  it('removes a user-assigned identity the file drops with null, and sends the identity whole', () => {
    const l = { ...live(), identity: { type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [UAI]: {} } } };
    const d = def(lines('identity: {type: SystemAssigned}'));
    const fromFile = applyFile(l, d);
    const diff = diffJobs(l, fromFile, fromFile);
    expect(diff.patch).toEqual({ identity: { type: 'SystemAssigned', userAssignedIdentities: { [UAI]: null } } });
    expect(diff.changes).toContainEqual({
      field: 'identity.userAssignedIdentities[id-worker]',
      from: 'assigned',
      to: undefined,
      source: 'job-yaml',
    });
  });

  it('labels only the changes the file asks for as job-yaml', () => {
    const l = live();
    const d = def(lines('properties:', '  configuration:', '    replicaTimeout: 600'));
    const fromFile = applyFile(l, d);
    // the inputs then change the image
    const desired = JSON.parse(JSON.stringify(fromFile)) as Obj;
    (((desired.properties as Obj).template as Obj).containers as Obj[])[0]!.image = 'x:2';
    expect(diffJobs(l, desired, fromFile).changes).toEqual([
      { field: 'configuration.replicaTimeout', from: '300', to: '600', source: 'job-yaml' },
      { field: 'template.containers[app].image', from: 'x:1', to: 'x:2' },
    ]);
  });

  it('round-trips the SDK model: jobToWire and wireToJob', () => {
    const w = live();
    expect(jobToWire(wireToJob(w))).toEqual(w);
  });
});

describe('checkReferences', () => {
  it('names the line of a reference to a secret or identity the job does not have', () => {
    const d = parseDefinition(
      lines(
        'properties:',
        '  configuration:',
        '    secrets:',
        '      - name: kv',
        '        keyVaultUrl: https://kv.vault.azure.net/secrets/kv',
        `        identity: ${UAI}`,
        '  template:',
        '    containers:',
        '      - name: app',
        '        image: x:1',
        '        env:',
        '          - name: PG',
        '            secretRef: pg',
        '        volumeMounts: [{volumeName: data, mountPath: /data}]',
      ),
      'job.yaml',
    );
    let message = '';
    try {
      checkReferences(d.wire, d, 'job');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      "job-yaml file 'job.yaml' has 3 problems: line 4: Key Vault secret 'kv' uses identity 'id-worker', which is not assigned to the job: add its resource ID under identity.userAssignedIdentities (or to input 'identity'); line 12: env PG of container 'app' uses secret 'pg', which the job does not have: add it under properties.configuration.secrets in job.yaml, or to input 'secrets'; line 14: container 'app' mounts volume 'data', which properties.template.volumes does not define.",
    );
  });

  it('asks for an image when no container has one', () => {
    const d = parseDefinition(lines('properties:', '  template:', '    containers: [{name: app}]'), 'job.yaml');
    expect(() => checkReferences(d.wire, d, 'job')).toThrow(
      "job-yaml file 'job.yaml' line 3: container 'app' has no image: set input 'image', or image under properties.template.containers.",
    );
  });
});

describe('inputs with job-yaml', () => {
  const inputs = (extra: Record<string, string>) => (name: string) =>
    ({
      'resource-group': 'rg-data',
      'job-name': 'job',
      'subscription-id': '00000000-0000-0000-0000-000000000000',
      ...extra,
    })[name] ?? '';

  it('trigger-type Schedule may take its schedule from the file; without a file it needs cron-expression', () => {
    const c = parseConfig(inputs({ 'job-yaml': 'job.yaml', 'trigger-type': 'Schedule' }), {});
    expect([c.jobYaml, c.triggerType, c.cronExpression, c.wantsDeploy]).toEqual([
      'job.yaml',
      'Schedule',
      undefined,
      true,
    ]);
    expect(() => parseConfig(inputs({ 'trigger-type': 'Schedule', image: 'x:1' }), {})).toThrow(
      /needs cron-expression/,
    );
  });
});

describe('helpers', () => {
  it('nearestKey finds typos, not unrelated words', () => {
    expect(nearestKey('paralelism', ['parallelism', 'replicaCompletionCount'])).toBe('parallelism');
    expect(nearestKey('triggertype', ['triggerType'])).toBe('triggerType');
    expect(nearestKey('colour', ['image', 'name'])).toBeUndefined();
  });

  it('nextRunsNote gives the next three runs in UTC', () => {
    expect(nextRunsNote('0 6 * * *', new Date('2026-03-01T07:00:00Z'))).toBe(
      "Next runs (UTC) of '0 6 * * *': 2026-03-02 06:00, 2026-03-03 06:00, 2026-03-04 06:00.",
    );
    expect(nextRunsNote(undefined, new Date())).toBeUndefined();
  });
});
