import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  // Type-aware rules over every TypeScript file (tsconfig.json's project, through the project service).
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  // Plain JavaScript (this file, test fixtures) is outside the TypeScript project.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['scripts/**', 'standin/**', 'test-support/**', '__tests__/**'], rules: { 'no-console': 'off' } },
  // Fakes and test doubles implement async interfaces without awaiting anything.
  { files: ['test-support/**', '__tests__/**'], rules: { '@typescript-eslint/require-await': 'off' } },
);
