import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // What serve runs: one order for strings, and Bolt's parts from src/transports/slack/bolt.ts, each for the idle
    // memory it saves (ICU's collation data; Bolt's Express receiver) and said there.
    files: ['src/**/*.ts'],
    ignores: ['src/sandbox/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          property: 'localeCompare',
          message:
            'Order with byCodeUnits (src/core/text-order.ts): the same order in every locale, and no ICU data.',
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@slack/bolt',
              message:
                "Import Bolt's classes from src/transports/slack/bolt.ts; only types come from '@slack/bolt'.",
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
