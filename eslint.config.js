/**
 * One lint configuration for the whole workspace: typescript-eslint with type information (each
 * package's own tsconfig), eslint-plugin-vue for the SPA, and eslint-config-prettier last so that
 * formatting is Prettier's alone. `pnpm lint` must be as quiet as the tests: zero warnings.
 */
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Only configuration is read from the environment: `config.ts` and `environment.ts` (the server's and the CLI's start). */
const noProcessEnv = {
  'no-restricted-properties': [
    'error',
    {
      object: 'process',
      property: 'env',
      message: 'Read configuration in server/src/config.ts (parsed once) and pass it in.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.cache/**', 'tests/e2e/artifacts/**', 'client/scripts/*.d.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...vue.configs['flat/recommended'],
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js'] },
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.vue'],
      },
    },
    rules: {
      // `declare global { namespace Express … }` is how Express's request type is augmented.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Express 5 handles rejected promises of async handlers itself.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser }, globals: { ...globals.browser } },
  },
  {
    // typescript-eslint cannot type imports of .vue files (they are `any` to it; vue-tsc checks them in
    // `pnpm typecheck`), so the rules that distrust `any` would only report that.
    files: ['client/src/**/*.vue', 'client/src/**/__tests__/**'],
    rules: {
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['client/src/**'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['server/src/**', 'client/src/**'],
    ignores: ['server/src/config.ts', 'server/src/environment.ts'],
    rules: noProcessEnv,
  },
  {
    // Tests and their support code talk to real services whose answers are untyped JSON.
    files: ['**/*.test.ts', '**/__tests__/**', 'tests/**', 'client/src/testing/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Fakes stand in for async APIs without awaiting anything themselves.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The client's build tooling has its own tsconfig (Node types, no DOM).
    files: ['client/vite.config.ts', 'client/scripts/*.mjs'],
    languageOptions: { parserOptions: { projectService: false, project: './client/tsconfig.node.json' } },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  prettier,
);
