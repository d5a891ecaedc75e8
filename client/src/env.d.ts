/// <reference types="vite/client" />

/**
 * What a `.vue` import is to tools that read TypeScript without Vue's language tools (typescript-eslint);
 * vue-tsc, which `pnpm typecheck` runs, sees each component's real type instead.
 */
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
