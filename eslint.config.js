import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'lib/', 'node_modules/', 'coverage/', '.tmp/', '.ci/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/oci/**', 'src/plan/**', 'src/cnb/**', 'src/aws/**', 'src/publish/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@actions/*'], message: 'Only src/action/ may touch @actions/*.' }] },
      ],
    },
  },
  {
    files: ['src/oci/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@actions/*', '@aws-sdk/*', '../aws/*', '../action/*', '../publish*'],
              message: 'src/oci knows nothing of AWS or GitHub.',
            },
          ],
        },
      ],
    },
  },
  {
    // The action layer presents what aws/ produced; it calls behaviour only through publish/.
    files: ['src/action/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../aws/*', '../aws/**'],
              allowTypeImports: true,
              message: 'src/action/ imports types, not behaviour, from src/aws/; call AWS through src/publish/.',
            },
          ],
        },
      ],
    },
  },
);
