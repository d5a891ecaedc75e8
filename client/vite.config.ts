import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vitest/config';

/**
 * The placeholder `<base>` tag in index.html. In production the BFF swaps it for
 * `<base href="${BASE_PATH}/">` when it serves the page, so one build works under any base path.
 */
const BASE_TAG = '<base href="/" />';

/** Where the BFF is mounted while developing; the same variable the BFF reads. */
function devBasePath(): string {
  const raw = process.env.BASE_PATH ?? '/signup';
  const trimmed = raw.replace(/\/+$/, '');
  return `${trimmed}/`;
}

/** Does in development what the BFF does in production: points `<base>` at the base path. */
function devBaseTag(base: string): Plugin {
  return {
    name: 'mlflow-auth-gui:dev-base-tag',
    apply: 'serve',
    transformIndexHtml(html) {
      if (!html.includes(BASE_TAG)) throw new Error(`index.html must contain ${BASE_TAG}`);
      return html.replace(BASE_TAG, `<base href="${base}" />`);
    },
  };
}

export default defineConfig(({ command }) => {
  const base = devBasePath();
  const bff = process.env.BFF_URL ?? 'http://127.0.0.1:3000';
  // changeOrigin stays false: the BFF compares Origin with Host, and both are then the Vite server's.
  const proxied = ['api', 'auth', 'healthz', 'readyz'].map((p) => `${base}${p}`);

  return {
    // Relative asset URLs in the build, resolved against the runtime <base>; absolute in dev.
    base: command === 'serve' ? base : './',
    plugins: [vue(), devBaseTag(base)],
    server: {
      proxy: Object.fromEntries(proxied.map((p) => [p, { target: bff, changeOrigin: false }])),
    },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      // One stylesheet file: the Content-Security-Policy allows `style-src 'self'` only.
      cssCodeSplit: false,
      assetsInlineLimit: 0,
      rolldownOptions: {
        output: {
          // The framework changes less often than the app: its own chunk stays cached across releases.
          codeSplitting: {
            groups: [{ name: 'vue', test: /[\\/]node_modules[\\/](@vue|vue|vue-router|pinia)[\\/]/ }],
          },
        },
      },
    },
    test: {
      environment: 'happy-dom',
      include: ['src/**/*.spec.ts'],
      restoreMocks: true,
      unstubGlobals: true,
    },
  };
});
