import vue from '@vitejs/plugin-vue';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';
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
    plugins: [
      vue(),
      devBaseTag(base),
      // `x.js.br` and `x.js.gz` next to every compressible file (public/ included), at the highest levels:
      // the BFF serves them with Content-Encoding instead of compressing per request (spa/static.ts). A
      // variant that would not be smaller than the original is skipped; the BFF then serves the original.
      // (logLevel 'info': 'silent' would also swallow a failed compression.)
      compression({
        include: /\.(js|mjs|css|html|svg|json|txt|map)$/,
        algorithms: [defineAlgorithm('brotliCompress'), defineAlgorithm('gzip')],
        skipIfLargerOrEqual: true,
        logLevel: 'info',
      }),
    ],
    server: {
      proxy: Object.fromEntries(proxied.map((p) => [p, { target: bff, changeOrigin: false }])),
    },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      // A stylesheet per lazy route (the sharing styles load with the sharing page only). Vite loads them
      // with <link rel="stylesheet"> from the same origin, which `style-src 'self'` allows.
      cssCodeSplit: true,
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
