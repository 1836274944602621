import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';

const nodeModules = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'net',
  'http',
  'https',
  'stream',
  'events',
  'util',
];
const runtimeModules = ['electron', 'ssh2', 'node-pty', 'ws', 'vue', 'pinia', '@xterm/*'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.h*tmp/**',
      '.lab/**',
      'out/**',
      'dist/**',
      'test-results/**',
      'playwright-report/**',
      '**/*.d.ts',
    ],
  },
  ...tseslint.configs.strict,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  // Layering, as in STYLE.md: the folder tells what may be imported.
  {
    files: ['core/common/**/*.ts'],
    ignores: ['core/common/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...nodeModules,
            ...runtimeModules,
            '**/core/node/**',
            '**/electron/**',
            '**/renderer/**',
            '../../node/**',
            '../node/**',
          ],
        },
      ],
    },
  },
  {
    files: ['core/node/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['electron', 'vue', 'pinia', '**/renderer/**', '**/electron/**'] },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...nodeModules, 'electron', 'ssh2', 'node-pty', 'ws', '**/core/node/**', '**/electron/**'] },
      ],
    },
  },
);
