/**
 * A cookie-keeping HTTP user agent that signs in through the real provider's pages without a browser.
 *
 * Integration tests need a signed-in BFF session, and the only honest way to get one is the real
 * flow: BFF `/auth/login` → provider authorize → the provider's HTML login form → consent → BFF
 * callback. Launching Chromium for each of those tests is slow; this agent does the same HTTP requests a
 * browser does (cookies, manual redirects, form posts) so the flow and the BFF's cookies are the real ones.
 *
 * Cookies follow RFC 6265 through tough-cookie, like a browser: they are scoped by host and path but
 * **not by port**, so the BFF and the provider (both on 127.0.0.1, different ports) see each other's
 * cookies. That is harmless as long as the names differ, which is why the test provider renames its
 * cookies (`op_session`, `op_interaction`, ...); a name clash would break a real browser the same way,
 * and the agent would show it. SameSite is enforced from the site of the page that started the request
 * (schemeful same-site by host name; every 127.0.0.1 port is the same site), `Secure` cookies are kept for
 * loopback hosts as browsers do, and `HttpOnly` does not matter (this is the HTTP API).
 */
import { parse, type HTMLElement } from 'node-html-parser';
import { CookieJar, type Cookie } from 'tough-cookie';

export interface FollowResult {
  /** The first response that is not a redirect (or the last redirect, if `maxHops` ran out). */
  response: Response;
  /** Every URL requested, in order, the first one included. */
  visited: string[];
}

export interface SubmitFormOptions {
  /** CSS selector of the form; default the first form in the page. */
  selector?: string;
  /** Values to set or add (e.g. a submit button's `name=value`). */
  fields?: Record<string, string>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Schemeful site, approximated by scheme + host name (exact for IP addresses and `localhost`). */
function siteOf(url: URL): string {
  return `${url.protocol}//${url.hostname}`;
}

export interface SignInResult {
  /** The URL of the final (non-redirect) response. */
  finalUrl: string;
  response: Response;
  /** Every URL requested during the sign-in, in order (BFF login, provider pages, BFF callback, ...). */
  visited: string[];
}

/** A copy of a response whose body was already read (statuses that forbid a body get none). */
function withBody(res: Response, body: string): Response {
  const nullBody = [101, 204, 205, 304].includes(res.status);
  return new Response(nullBody ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

const cookieId = (c: Cookie) => `${c.domain ?? ''};${c.path ?? ''};${c.key}`;

export class BrowserAgent {
  readonly jar = new CookieJar(undefined, { allowSecureOnLocal: true, rejectPublicSuffixes: false });
  /** Which origin (scheme, host and port) last set each cookie: the jar itself, like a browser, ignores ports. */
  private readonly setBy = new Map<string, string>();
  /** The URL of the current "page": the final URL of the last {@link follow}. Requests are initiated from it. */
  pageUrl: string | undefined;

  /**
   * @param baseOrigin resolves relative URLs given to {@link fetch}, {@link follow} and {@link signIn}.
   * @param options.userAgent the `User-Agent` of every request (default: Node's own), to pose as a browser.
   */
  constructor(
    readonly baseOrigin?: string,
    readonly options: { userAgent?: string } = {},
  ) {}

  /** Relative URLs are resolved against `baseOrigin` (else the current page), never against another service. */
  private resolve(url: string | URL): URL {
    return new URL(String(url), this.baseOrigin ?? this.pageUrl);
  }

  private sameSiteContext(target: URL, method: string, chain: string[]): 'strict' | 'lax' | 'none' {
    const initiators = [...(this.pageUrl ? [this.pageUrl] : []), ...chain];
    const crossSite = initiators.some((u) => siteOf(new URL(u)) !== siteOf(target));
    if (!crossSite) return 'strict';
    return method === 'GET' || method === 'HEAD' ? 'lax' : 'none';
  }

  /**
   * One request, with the jar's cookies; `Set-Cookie` answers go back into the jar. Never follows
   * redirects (the 3xx response is returned as is).
   */
  fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    return this.request(this.resolve(url), init, []);
  }

  /** {@link fetch}, knowing the redirect chain that led here (for SameSite). */
  private async request(target: URL, init: RequestInit, chain: string[]): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const cookie = await this.jar.getCookieString(target, {
      http: true,
      sameSiteContext: this.sameSiteContext(target, method, chain),
    });
    if (cookie) headers.set('Cookie', cookie);
    if (this.options.userAgent && !headers.has('user-agent')) headers.set('User-Agent', this.options.userAgent);
    const response = await fetch(target, { ...init, method, headers, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) {
      const stored = await this.jar.setCookie(setCookie, target, { http: true, ignoreError: true });
      if (stored) this.setBy.set(cookieId(stored), target.origin);
    }
    return response;
  }

  /**
   * The cookies that `url`'s own origin set and that the agent would send to `url`. A browser would also
   * send cookies another port of the same host set (see {@link allCookiesFor}); this view is what one
   * service stored in the browser, e.g. to check that the BFF keeps nothing but its session id there.
   */
  async cookiesFor(url: string | URL): Promise<Cookie[]> {
    const target = this.resolve(url);
    const all = await this.jar.getCookies(target, { http: true });
    return all.filter((c) => this.setBy.get(cookieId(c)) === target.origin);
  }

  /** Every cookie the agent would send to `url`, whichever port of the host set it (as a browser does). */
  async allCookiesFor(url: string | URL): Promise<Cookie[]> {
    return this.jar.getCookies(this.resolve(url), { http: true });
  }

  /**
   * Requests `url` and follows redirects by hand, as a browser would: 301/302/303 become GET without a
   * body, 307/308 repeat the method and body. Updates {@link pageUrl} to the final URL.
   */
  async follow(url: string | URL, init: RequestInit = {}, maxHops = 10): Promise<FollowResult> {
    const visited: string[] = [];
    let current = this.resolve(url);
    let currentInit: RequestInit = init;
    for (let hop = 0; ; hop++) {
      visited.push(current.href);
      const response = await this.request(current, currentInit, visited.slice(0, -1));
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || !location || hop >= maxHops) {
        this.pageUrl = current.href;
        return { response, visited };
      }
      await response.arrayBuffer();
      const next = new URL(location, current);
      const method = (currentInit.method ?? 'GET').toUpperCase();
      if (response.status === 307 || response.status === 308) {
        currentInit = { ...currentInit };
      } else {
        const headers = new Headers(currentInit.headers);
        headers.delete('content-type');
        headers.delete('content-length');
        currentInit = { method: method === 'HEAD' ? 'HEAD' : 'GET', headers };
      }
      current = next;
    }
  }

  /**
   * Submits an HTML form the way a browser does: its `action` (default the page URL) and `method`
   * (default GET), the values of its named inputs/selects/textareas (plus inputs outside it that name
   * it with `form="<id>"`), overridden by `opts.fields`; POST bodies are urlencoded and carry `Origin`.
   */
  async submitForm(html: string, pageUrl: string, opts: SubmitFormOptions = {}): Promise<FollowResult> {
    const root = parse(html);
    const form = opts.selector ? root.querySelector(opts.selector) : root.querySelector('form');
    if (!form) throw new Error(`No form ${opts.selector ?? ''} on ${pageUrl}:\n${html.slice(0, 2000)}`);
    const fields = new URLSearchParams();
    const id = form.getAttribute('id');
    const controls: HTMLElement[] = [
      ...form.querySelectorAll('input, select, textarea'),
      ...(id ? root.querySelectorAll('input, select, textarea').filter((el) => el.getAttribute('form') === id) : []),
    ];
    for (const el of controls) {
      const name = el.getAttribute('name');
      if (!name || el.hasAttribute('disabled')) continue;
      const type = (el.getAttribute('type') ?? 'text').toLowerCase();
      if (['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
      if ((type === 'checkbox' || type === 'radio') && !el.hasAttribute('checked')) continue;
      if (el.tagName === 'SELECT') {
        const option = el.querySelector('option[selected]') ?? el.querySelector('option');
        fields.append(name, option?.getAttribute('value') ?? option?.text ?? '');
      } else if (el.tagName === 'TEXTAREA') {
        fields.append(name, el.text);
      } else {
        fields.append(name, el.getAttribute('value') ?? (type === 'checkbox' || type === 'radio' ? 'on' : ''));
      }
    }
    for (const [name, value] of Object.entries(opts.fields ?? {})) fields.set(name, value);

    const base = new URL(pageUrl);
    const action = new URL(form.getAttribute('action') || base.href, base);
    const method = (form.getAttribute('method') ?? 'GET').toUpperCase();
    this.pageUrl = base.href;
    if (method === 'POST') {
      return this.follow(action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base.origin },
        body: fields.toString(),
      });
    }
    action.search = fields.toString();
    return this.follow(action);
  }

  /**
   * Signs in from the BFF's login URL: GET `loginUrl` (following redirects to the provider's login
   * form), fill in `username`/`password`, post it, and follow back through the BFF callback and its
   * redirect. Resolves with the final (non-redirect) response and its URL. When the provider session
   * already exists, no form is shown and the flow simply completes. Rejects with the provider's visible
   * error when the form comes back (e.g. a wrong password).
   */
  async signIn(loginUrl: string, login: string, password: string): Promise<SignInResult> {
    const start = await this.follow(loginUrl, {}, 20);
    const startUrl = start.visited.at(-1) as string;
    const html = await start.response.text();
    const page = parse(html);
    const loginForm = page.querySelectorAll('form').find((f) => f.querySelector('input[name="username"]'));
    if (!loginForm) {
      if (start.response.status >= 400) {
        throw new Error(
          `Sign-in as ${login} ended with ${start.response.status} at ${startUrl}:\n${html.slice(0, 2000)}`,
        );
      }
      // Already signed in at the provider: the flow went straight back to the application.
      return {
        finalUrl: startUrl,
        response: withBody(start.response, html),
        visited: start.visited,
      };
    }
    const formId = loginForm.getAttribute('id');
    if (!formId) loginForm.setAttribute('id', 'browser-agent-login-form');
    const done = await this.submitForm(page.toString(), startUrl, {
      selector: `form#${loginForm.getAttribute('id') as string}`,
      fields: { username: login, password },
    });
    const finalUrl = done.visited.at(-1) as string;
    const body = await done.response.text();
    const again = parse(body);
    if (again.querySelector('input[name="password"]')) {
      const error = again.querySelector('[role="alert"]')?.text.trim() ?? '(no message)';
      throw new Error(`Sign-in as ${login} failed at ${finalUrl}: ${error}`);
    }
    if (done.response.status >= 400) {
      throw new Error(`Sign-in as ${login} ended with ${done.response.status} at ${finalUrl}:\n${body.slice(0, 2000)}`);
    }
    return {
      finalUrl,
      response: withBody(done.response, body),
      visited: [...start.visited, ...done.visited],
    };
  }
}
