// Files that do not pass the type-aware rules yet, each with the rules it breaks (and how often); these rules
// are off for that file only. Fix a file, then delete its entry: `npm run lint` runs with --max-warnings 0.
const notYet = {
  '__tests__/e2e/build.test.ts': {
    '@typescript-eslint/no-unsafe-assignment': 3,
    '@typescript-eslint/no-unsafe-member-access': 5,
  },
  '__tests__/e2e/core.test.ts': {
    '@typescript-eslint/no-unsafe-argument': 1,
    '@typescript-eslint/no-unsafe-assignment': 5,
    '@typescript-eslint/no-unsafe-call': 2,
    '@typescript-eslint/no-unsafe-member-access': 26,
    '@typescript-eslint/no-unsafe-return': 1,
  },
  '__tests__/e2e/deploy-edges.test.ts': {
    '@typescript-eslint/no-unsafe-assignment': 2,
    '@typescript-eslint/no-unsafe-call': 3,
    '@typescript-eslint/no-unsafe-member-access': 9,
    '@typescript-eslint/no-unsafe-return': 2,
  },
  '__tests__/e2e/jobs-as-code.test.ts': {
    '@typescript-eslint/no-unsafe-argument': 2,
    '@typescript-eslint/no-unsafe-assignment': 5,
    '@typescript-eslint/no-unsafe-call': 1,
    '@typescript-eslint/no-unsafe-member-access': 31,
  },
  '__tests__/e2e/reliability.test.ts': {
    '@typescript-eslint/no-unsafe-assignment': 1,
    '@typescript-eslint/no-unsafe-member-access': 5,
  },
  '__tests__/e2e/replay.test.ts': {
    '@typescript-eslint/no-unsafe-call': 1,
    '@typescript-eslint/no-unsafe-member-access': 7,
  },
  '__tests__/standin/arm-http.test.ts': { '@typescript-eslint/no-unsafe-assignment': 1 },
  '__tests__/standin/arm-spec.test.ts': { '@typescript-eslint/no-unsafe-assignment': 1 },
  '__tests__/standin/identity.test.ts': {
    '@typescript-eslint/no-unnecessary-type-assertion': 1,
    '@typescript-eslint/unbound-method': 1,
  },
  '__tests__/unit/jobspec.test.ts': {
    '@typescript-eslint/no-unsafe-argument': 1,
    '@typescript-eslint/no-unsafe-member-access': 4,
  },
  '__tests__/unit/logs.test.ts': { '@typescript-eslint/no-unsafe-assignment': 1 },
  '__tests__/unit/security.test.ts': { '@typescript-eslint/no-unnecessary-type-assertion': 1 },
  'src/azure/arm.ts': {
    '@typescript-eslint/no-unsafe-argument': 1,
    '@typescript-eslint/no-unsafe-assignment': 2,
    '@typescript-eslint/no-unsafe-call': 3,
    '@typescript-eslint/no-unsafe-member-access': 7,
  },
  'src/azure/logs-api.ts': {
    '@typescript-eslint/no-unsafe-argument': 1,
    '@typescript-eslint/no-unsafe-assignment': 2,
    '@typescript-eslint/no-unsafe-call': 3,
    '@typescript-eslint/no-unsafe-member-access': 7,
  },
  'src/build/build.ts': { '@typescript-eslint/unbound-method': 2 },
  'src/inputs/fields.ts': { '@typescript-eslint/no-unnecessary-type-assertion': 1 },
  'src/job/definition.ts': {
    '@typescript-eslint/no-base-to-string': 43,
    '@typescript-eslint/no-unnecessary-type-assertion': 3,
    '@typescript-eslint/restrict-template-expressions': 32,
  },
  'src/job/deploy.ts': {
    '@typescript-eslint/no-base-to-string': 1,
    '@typescript-eslint/restrict-template-expressions': 1,
  },
  'src/job/rollback.ts': {
    '@typescript-eslint/no-base-to-string': 1,
    '@typescript-eslint/no-unnecessary-type-assertion': 1,
  },
  'src/job/spec.ts': { '@typescript-eslint/no-unnecessary-type-assertion': 3 },
  'src/logs/run.ts': { '@typescript-eslint/unbound-method': 1 },
  'src/logs/stream.ts': { '@typescript-eslint/no-base-to-string': 9 },
  'standin/acr.ts': { '@typescript-eslint/no-base-to-string': 1 },
  'standin/arm/arm.ts': {
    '@typescript-eslint/no-base-to-string': 16,
    '@typescript-eslint/no-unnecessary-type-assertion': 5,
  },
  'standin/arm/execution-logs.ts': { '@typescript-eslint/no-base-to-string': 2 },
  'standin/arm/executions.ts': { '@typescript-eslint/no-base-to-string': 1 },
  'standin/arm/schema.ts': { '@typescript-eslint/no-redundant-type-constituents': 1 },
  'standin/arm/views.ts': {
    '@typescript-eslint/no-base-to-string': 1,
    '@typescript-eslint/no-unnecessary-type-assertion': 9,
  },
  'standin/entra.ts': {
    '@typescript-eslint/no-base-to-string': 2,
    '@typescript-eslint/no-unnecessary-type-assertion': 1,
    '@typescript-eslint/require-await': 1,
  },
  'standin/github-oidc.ts': { '@typescript-eslint/require-await': 1 },
  'standin/http.ts': { '@typescript-eslint/no-redundant-type-constituents': 3 },
};

export const notYetTypeChecked = Object.entries(notYet).map(([file, rules]) => ({
  files: [file],
  rules: Object.fromEntries(Object.keys(rules).map((rule) => [rule, 'off'])),
}));
