// Files that do not pass the type-aware rules yet, each with the rules it breaks (and how often); these rules
// are off for that file only. Fix a file, then delete its entry: `npm run lint` runs with --max-warnings 0.
const notYet = {
  'src/action/main.ts': { '@typescript-eslint/unbound-method': 17 },
  'src/job/rollback.ts': {
    '@typescript-eslint/no-base-to-string': 1,
    '@typescript-eslint/no-unnecessary-type-assertion': 1,
  },
};

export const notYetTypeChecked = Object.entries(notYet).map(([file, rules]) => ({
  files: [file],
  rules: Object.fromEntries(Object.keys(rules).map((rule) => [rule, 'off'])),
}));
