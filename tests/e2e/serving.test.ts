/**
 * How the BFF serves the built SPA: under its base path, `index.html` never cached and told where it lives
 * (`<base href>`), hashed assets cached for good, client-side routes answered with `index.html`, and a
 * Content-Security-Policy without inline scripts that the real app, in real Chromium, never trips.
 */
import { parse } from 'node-html-parser';

import { accounts } from '../support/oidc-provider.js';
import { useStack } from '../support/stack.js';
import { withPage } from './support/artifacts.js';
import { expectText } from './support/assertions.js';
import { useBrowser } from './support/chromium.js';
import { cspViolations, pageErrors, type LogEntry } from './support/pages.js';
import { signInThroughProvider } from './support/sign-in.js';
import { startE2eStack } from './support/stack.js';

const browser = useBrowser();
const stack = useStack({ rule: 'realm_roles', vault: false }, startE2eStack);

const html = { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

/** `Content-Security-Policy` as directive → sources. */
function parseCsp(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

describe('when a browser asks the BFF for the app', () => {
  let indexBody: string;

  it('then /signup/ answers index.html with Cache-Control no-cache and the base path injected as <base href="/signup/">', async () => {
    const res = await fetch(`${stack().baseUrl}/`, { headers: html });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    indexBody = await res.text();
    const bases = parse(indexBody).querySelectorAll('base');
    expect(bases.map((b) => b.getAttribute('href'))).toEqual(['/signup/']);
    // index.html itself, under its own name, is the same page.
    const named = await fetch(`${stack().baseUrl}/index.html`, { headers: html });
    expect(named.headers.get('cache-control')).toBe('no-cache');
    expect(await named.text()).toBe(indexBody);
  });

  it('then the hashed assets index.html refers to are served under /signup/assets/ as immutable for a year', async () => {
    const doc = parse(indexBody);
    const refs = [
      ...doc.querySelectorAll('script[src]').map((s) => s.getAttribute('src')!),
      ...doc.querySelectorAll('link[rel="stylesheet"], link[rel="modulepreload"]').map((l) => l.getAttribute('href')!),
    ];
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const ref of refs) {
      const url = new URL(ref, `${stack().origin}/signup/`);
      expect(url.pathname).toMatch(/^\/signup\/assets\/[\w.-]+-[\w-]{8}\.(js|css)$/);
      const res = await fetch(url);
      expect({ ref, status: res.status }).toEqual({ ref, status: 200 });
      const cache = res.headers.get('cache-control') ?? '';
      expect(cache).toContain('immutable');
      expect(cache).toContain('max-age=31536000');
      expect(res.headers.get('content-type')).toMatch(url.pathname.endsWith('.js') ? /javascript/ : /^text\/css/);
    }
  });

  it('then a missing asset is a 404, not index.html', async () => {
    const res = await fetch(`${stack().baseUrl}/assets/index-doesnotexist.js`, { headers: html });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('<div id="app">');
  });

  it('then a client-side route such as /signup/account, asked for as HTML, answers index.html (history fallback)', async () => {
    for (const route of ['/account', '/register', '/not-eligible', '/no/such/page']) {
      const res = await fetch(`${stack().baseUrl}${route}`, { headers: html });
      expect({ route, status: res.status }).toEqual({ route, status: 200 });
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toBe(indexBody);
    }
    // A non-HTML request to an unknown path is not answered with the app.
    const json = await fetch(`${stack().baseUrl}/account`, { headers: { Accept: 'application/json' } });
    expect(json.status).toBe(404);
  });

  it("then the Content-Security-Policy allows scripts only from the app's origin: no 'unsafe-inline', no 'unsafe-eval'", async () => {
    for (const path of ['/', '/account']) {
      const res = await fetch(`${stack().baseUrl}${path}`, { headers: html });
      const csp = parseCsp(res.headers.get('content-security-policy'));
      const scriptSrc = csp.get('script-src') ?? csp.get('default-src');
      expect({ path, scriptSrc }).toEqual({ path, scriptSrc: ["'self'"] });
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'self'"]);
      expect(csp.get('style-src')).not.toContain("'unsafe-inline'");
    }
  });
});

describe('when the app runs in Chromium under that policy', () => {
  it('then the welcome page, the sign-in round trip and the register page load with no CSP violation and no uncaught error', () =>
    withPage(browser(), undefined, async (page) => {
      await page.goto(`${stack().baseUrl}/`);
      await expectText(page.locator('#main h1'), 'Your account for MLflow');
      // The stylesheet applied (a blocked stylesheet would leave the skip link in the page's flow).
      expect(await page.locator('.skip-link').evaluate((el) => getComputedStyle(el).position)).toBe('absolute');

      await signInThroughProvider(page, stack().baseUrl, 'alice', accounts.alice.password);
      await expectText(page.locator('#main h1'), 'Create your MLflow account');
      // Typing exercises the live feedback (style and class bindings) under the policy too.
      await page.locator('#main').getByLabel('Password', { exact: true }).fill('x');
      await page.locator('#main [data-requirement="min_length"][data-met="false"]').waitFor();

      const ours = (entries: LogEntry[]) => entries.filter((e) => e.url.startsWith(stack().origin));
      expect(ours(cspViolations(page))).toEqual([]);
      // Chromium logs GET /api/me's 401 while signed out as a failed load: expected, not an error of the app.
      const errors = ours(pageErrors(page)).filter(
        (e) => !(/status of 401/.test(e.text) && /\/signup\/api\/me/.test(e.location ?? '')),
      );
      expect(errors).toEqual([]);
    }));

  it('then an inline script injected into the page is refused and reported (the check above can see a violation)', () =>
    withPage(browser(), undefined, async (page) => {
      await page.goto(`${stack().baseUrl}/`);
      await expectText(page.locator('#main h1'), 'Your account for MLflow');
      expect(cspViolations(page)).toEqual([]);
      const ran = await page.evaluate(async () => {
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true;';
        document.head.append(script);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
      });
      expect(ran).toBe(false);
      const violations = cspViolations(page);
      expect(violations.length).toBeGreaterThan(0);
      expect(violations.map((v) => v.text).join('\n')).toMatch(/script-src/);
    }));
});
