// Files that do not pass the type-aware rules yet, each with the rules it breaks (and how often); these rules
// are off for that file only. Fix a file, then delete its entry: `npm run lint` runs with --max-warnings 0.
const notYet = {
  '__tests__/e2e/reliability-cancel.test.ts': { '@typescript-eslint/no-unsafe-member-access': 3 },
  '__tests__/e2e/reliability-failures.test.ts': { '@typescript-eslint/no-unsafe-member-access': 1 },
  '__tests__/e2e/reliability-transient.test.ts': {
    '@typescript-eslint/no-unsafe-assignment': 1,
    '@typescript-eslint/no-unsafe-member-access': 1,
  },
  '__tests__/standin/arm-http.test.ts': { '@typescript-eslint/no-unsafe-assignment': 2 },
  '__tests__/standin/arm-spec.test.ts': { '@typescript-eslint/no-unsafe-assignment': 1 },
  '__tests__/standin/identity.test.ts': {
    '@typescript-eslint/no-unnecessary-type-assertion': 1,
    '@typescript-eslint/unbound-method': 1,
  },
  'src/action/main.ts': { '@typescript-eslint/unbound-method': 17 },
  'src/job/rollback.ts': {
    '@typescript-eslint/no-base-to-string': 1,
    '@typescript-eslint/no-unnecessary-type-assertion': 1,
  },
  'standin/acr/acr.ts': { '@typescript-eslint/no-base-to-string': 1 },
  'standin/arm/arm.ts': { '@typescript-eslint/no-base-to-string': 1 },
  'standin/arm/execution-logs.ts': { '@typescript-eslint/no-base-to-string': 2 },
  'standin/arm/executions.ts': { '@typescript-eslint/no-base-to-string': 1 },
  'standin/arm/routes/executions.ts': { '@typescript-eslint/no-base-to-string': 5 },
  'standin/arm/routes/jobs.ts': {
    '@typescript-eslint/no-base-to-string': 10,
    '@typescript-eslint/no-unnecessary-type-assertion': 5,
  },
  'standin/arm/schema.ts': { '@typescript-eslint/no-redundant-type-constituents': 1 },
  'standin/arm/views.ts': {
    '@typescript-eslint/no-base-to-string': 1,
    '@typescript-eslint/no-unnecessary-type-assertion': 9,
  },
  'standin/common/http.ts': {
    '@typescript-eslint/no-redundant-type-constituents': 3,
    '@typescript-eslint/no-unnecessary-type-assertion': 1,
  },
  'standin/entra/entra.ts': {
    '@typescript-eslint/no-base-to-string': 2,
    '@typescript-eslint/no-unnecessary-type-assertion': 1,
    '@typescript-eslint/require-await': 1,
  },
  'standin/github/oidc.ts': { '@typescript-eslint/require-await': 1 },
  'test-support/fakes.ts': { '@typescript-eslint/no-unsafe-assignment': 1 },
};

export const notYetTypeChecked = Object.entries(notYet).map(([file, rules]) => ({
  files: [file],
  rules: Object.fromEntries(Object.keys(rules).map((rule) => [rule, 'off'])),
}));
