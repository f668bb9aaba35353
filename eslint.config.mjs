// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-artifacts/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      eqeqeq: 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'describe', 'it', 'suite', 'before', 'after'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The adapter is a plain Node process: it must never import the VS Code API.
    files: ['adapter/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'adapter/ runs outside VS Code' }] },
      ],
    },
  },
  {
    // The extension and the webview speak to the adapter only through its protocol module.
    files: ['extension/**/*.ts', 'media/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)adapter/(?!protocol/)',
              message: 'extension/ and media/ import adapter code only from adapter/protocol/',
            },
          ],
        },
      ],
    },
  },
  {
    // One path to gdb: MI commands and CLI lines are built in adapter/gdb/ (its typed command families),
    // nowhere else.
    files: ['adapter/**/*.ts'],
    ignores: ['adapter/gdb/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.property.name=/^(mi|console|execute)$/][callee.object.name!='console']",
          message: 'send gdb commands through a typed family of adapter/gdb/mi/ (one path to gdb)',
        },
      ],
    },
  },
);
