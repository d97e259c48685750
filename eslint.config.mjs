import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: ['.next/**', 'node_modules/**', 'data/**', 'backups/**', 'next-env.d.ts', '.cache/**', 'alert-processor/dist/**'],
  },
  {
    files: ['src/**', 'otel/**', 'audit/**', 'alert-processor/src/**'],
    rules: {
      'no-console': 'error',
    },
  },
  // The architecture's seams (README "Layout"): the app reaches the layer and the audit module only through their
  // entries (@otel, @otel/register, @otel/browser, @audit); the layer depends on libraries only; the audit module
  // on the layer, never on the app; the alert processor on the layer.
  {
    files: ['src/**', 'audit/**', 'alert-processor/src/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+otel(/|$)|^@otel/(?!register$|browser$)',
              message: 'Import the operations layer through @otel (or @otel/register, @otel/browser).',
            },
            { regex: '^(\\.\\./)+audit(/|$)|^@audit/', message: 'Import the audit log through @audit.' },
          ],
        },
      ],
    },
  },
  {
    files: ['otel/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@/|^@audit|^(\\.\\./)+(src|audit|alert-processor)(/|$)',
              message: 'The layer depends on libraries only, never on the app, the audit module or the alert processor.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['audit/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(\\.\\./)+otel(/|$)|^@otel/', message: 'Import the operations layer through @otel.' },
            {
              regex: '^@/|^(\\.\\./)+(src|alert-processor)(/|$)',
              message: 'The audit module never depends on the app or the alert processor.',
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import/no-anonymous-default-export': 'off',
    },
  },
];

export default config;
