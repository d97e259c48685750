import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

const otelEntries = {
  regex: '^(\\.\\./)+otel(/|$)|^@otel/(?!register$|browser$|command$)',
  message: 'Import the operations layer through @otel (or @otel/register, @otel/browser, @otel/command).',
};
const otelEntry = { regex: '^(\\.\\./)+otel(/|$)|^@otel/', message: 'Import the operations layer through @otel.' };
const auditEntry = { regex: '^(\\.\\./)+audit(/|$)|^@audit/', message: 'Import the audit log through @audit.' };
const noAlertProcessor = {
  regex: '^(\\.\\./)+alert-processor(/|$)|^@alerts',
  message: 'The alert processor is its own service: the app and the audit module never import it.',
};
// no-restricted-imports does not see import(): the same patterns, for dynamic imports (esquery's regular expressions
// end at the first '/', hence \u002F).
function boundaries(patterns) {
  return {
    'no-restricted-imports': ['error', { patterns }],
    'no-restricted-syntax': [
      'error',
      ...patterns.map(({ regex, message }) => ({
        selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\u002F')}/]`,
        message,
      })),
    ],
  };
}

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [
      '.next/**',
      'node_modules/**',
      'data/**',
      'backups/**',
      'next-env.d.ts',
      '.cache/**',
      'alert-processor/dist/**',
      'scripts/dist/**',
    ],
  },
  {
    files: ['src/**', 'otel/**', 'audit/**', 'alert-processor/src/**'],
    rules: {
      'no-console': 'error',
    },
  },
  // The architecture's seams (README "Layout"): the app reaches the layer and the audit module only through their
  // entries (@otel, @otel/register, @otel/browser, @audit); the layer depends on libraries only; the audit module
  // on the layer, never on the app; the alert processor, its own service, on the layer only; tests and benchmarks
  // reach the alert processor through @alerts.
  {
    files: ['src/**'],
    ignores: ['**/*.test.ts'],
    rules: boundaries([otelEntries, auditEntry, noAlertProcessor]),
  },
  {
    files: ['otel/**'],
    ignores: ['**/*.test.ts'],
    rules: boundaries([
      {
        regex: '^@/|^@audit|^@alerts|^(\\.\\./)+(src|audit|alert-processor)(/|$)',
        message: 'The layer depends on libraries only, never on the app, the audit module or the alert processor.',
      },
    ]),
  },
  {
    files: ['audit/**'],
    ignores: ['**/*.test.ts'],
    rules: boundaries([
      otelEntry,
      { regex: '^@/|^(\\.\\./)+src(/|$)', message: 'The audit module never depends on the app.' },
      noAlertProcessor,
    ]),
  },
  {
    files: ['alert-processor/**'],
    ignores: ['**/*.test.ts'],
    rules: boundaries([
      otelEntry,
      {
        regex: '^@/|^@audit|^(\\.\\./)+(src|audit)(/|$)',
        message: 'The alert processor is its own service: it never depends on the app or the audit module.',
      },
    ]),
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: boundaries([{ regex: '^(\\.\\./)+alert-processor(/|$)|^@alerts/', message: 'Import the alert processor through @alerts.' }]),
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import/no-anonymous-default-export': 'off',
    },
  },
];

export default config;
