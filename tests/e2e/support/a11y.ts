/**
 * Accessibility checks with axe-core on the page as it is.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import type { Page } from 'playwright-core';

import { AXE_VARIANTS, DESKTOP, pageUrl } from './pages.js';

let axeSource: string | undefined;
async function loadAxe(): Promise<string> {
  if (!axeSource) {
    const require = createRequire(import.meta.url);
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  }
  return axeSource;
}

interface AxeNode {
  target: string[];
  html: string;
  failureSummary?: string;
}
export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

export interface A11yOptions {
  /** Only check inside this CSS selector (e.g. an open dialog). Default: the whole document. */
  include?: string;
  /** axe rule ids to leave out, each needing a reason in the calling test. */
  disableRules?: string[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules plus best practices) on the page as it is now and throws
 * a readable list when any violation is `serious` or `critical`. Returns every violation (minor and
 * moderate ones included) for callers that want to look.
 *
 * How axe gets in: the BFF's Content-Security-Policy forbids inline scripts, so `page.addScriptTag({content})`
 * (an inline `<script>`) would be refused, and a `bypassCSP` context would check a page that is no longer
 * the one people get. `page.evaluate(source)` runs the script through the DevTools protocol
 * (`Runtime.evaluate`), which CSP does not govern, so the page under test keeps its real policy and the
 * check itself causes no CSP violation in the console.
 */
export async function checkA11y(page: Page, label: string, options: A11yOptions = {}): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!hasAxe) await page.evaluate(await loadAxe());
  const violations = (await page.evaluate(
    async ({ include, disableRules }) => {
      const axe = (
        window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } }
      ).axe;
      const rules = Object.fromEntries((disableRules ?? []).map((id: string) => [id, { enabled: false }]));
      const result = await axe.run(include ? { include: [include] } : document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        rules,
        resultTypes: ['violations'],
      });
      return result.violations;
    },
    { include: options.include, disableRules: options.disableRules },
  )) as AxeViolation[];

  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (blocking.length > 0) {
    const lines = blocking.flatMap((v) => [
      `• [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`,
      ...v.nodes
        .slice(0, 5)
        .map(
          (n) =>
            `    ${n.target.join(' ')}  ${n.html.slice(0, 160)}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, '\n      ')}` : ''}`,
        ),
      ...(v.nodes.length > 5 ? [`    … and ${v.nodes.length - 5} more`] : []),
    ]);
    throw new Error(
      `Accessibility check "${label}" at ${pageUrl(page)} found ${blocking.length} serious/critical violation(s):\n${lines.join('\n')}`,
    );
  }
  return violations;
}

/**
 * Waits (at most about 100 frames) until no CSS transition runs. Under reduced motion the SPA gives every
 * property a 1 ms transition (`transition-duration` on `*`, whose `transition-property` is `all`), so a
 * switched colour scheme reaches the page's colours a frame or two later: checked at once, axe would measure
 * the old scheme's text on the new background.
 */
async function transitionsSettled(page: Page): Promise<void> {
  const running = () =>
    page.evaluate(
      () =>
        new Promise<boolean>((resolve) =>
          requestAnimationFrame(() =>
            requestAnimationFrame(() =>
              resolve(document.getAnimations().some((a) => a instanceof CSSTransition && a.playState === 'running')),
            ),
          ),
        ),
    );
  for (let frames = 0; frames < 100; frames += 2) {
    if (!(await running())) return;
  }
}

/**
 * {@link checkA11y} in every colour scheme and size of {@link AXE_VARIANTS}, switched on the page as it is
 * (`setViewportSize`, `emulateMedia`) rather than by loading it again, so that a state reached by acting on
 * the page (an error shown, older entries loaded) is the one checked. In each variant the page must also fit
 * the viewport's width. Leaves the page at {@link DESKTOP} in the light colour scheme.
 */
export async function checkA11yInEveryVariant(page: Page, label: string, options: A11yOptions = {}): Promise<void> {
  try {
    for (const variant of AXE_VARIANTS) {
      await page.setViewportSize(variant.viewport);
      await page.emulateMedia({ colorScheme: variant.colorScheme });
      await transitionsSettled(page);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > variant.viewport.width) {
        throw new Error(
          `"${label}, ${variant.name}" at ${pageUrl(page)} is ${width} px wide, wider than the ${variant.viewport.width} px viewport`,
        );
      }
      await checkA11y(page, `${label}, ${variant.name}`, options);
    }
  } finally {
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ colorScheme: 'light' });
  }
}
