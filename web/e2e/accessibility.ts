/**
 * WCAG 2.1 AA checks for the browser tests: axe-core runs inside the page (its source comes from
 * the installed package, never a CDN) and a test fails on every serious or critical violation,
 * with a message that says which rule, why, and on which elements.
 */
import axe from 'axe-core';
import type { AxeResults, ImpactValue, Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** WCAG 2.0 and 2.1, levels A and AA: the rules of the level the app promises. */
const RUN_OPTIONS: RunOptions = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  resultTypes: ['violations'],
};

/** Impacts that fail a test; minor and moderate findings are left to review. */
const BLOCKING: readonly ImpactValue[] = ['serious', 'critical'];

/** The most elements listed per rule: enough to find the pattern, short enough to read. */
const NODES_SHOWN = 5;

/**
 * Loads axe-core into `page` unless it is there already. The app's Content-Security-Policy
 * forbids inline scripts, so a `<script>` tag with the source would be refused; evaluating it
 * through the DevTools protocol is not subject to the page's policy. A navigation (not an SPA
 * route change) empties the page, hence the check each time.
 */
async function injectAxe(page: Page): Promise<void> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.evaluate(axe.source);
}

/** One violation in words: rule id, impact and help, then the failing nodes. */
export function describeViolation(violation: Result): string {
  const nodes = violation.nodes.slice(0, NODES_SHOWN).map((node) => {
    const target = node.target.map((part) => (Array.isArray(part) ? part.join(' >> ') : part)).join(' >> ');
    const summary = (node.failureSummary ?? '').replace(/\s+/g, ' ').trim();
    return `    - ${target}: ${summary}`;
  });
  const more = violation.nodes.length > NODES_SHOWN ? [`    … and ${violation.nodes.length - NODES_SHOWN} more`] : [];
  return [`  [${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})`, ...nodes, ...more].join('\n');
}

/** Runs axe-core on the whole of `page` as it is now and returns its WCAG 2.1 A/AA violations. */
export async function axeViolations(page: Page): Promise<Result[]> {
  await injectAxe(page);
  // Colours are judged at rest: a button still fading from its hover or focus colours (Bootstrap's
  // 0.15 s transitions after a click) would be measured halfway. Endless animations (spinners,
  // striped progress bars) are left alone.
  await page.evaluate(() =>
    Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished.catch(() => undefined))),
  );
  const results = await page.evaluate(
    (options) => (window as unknown as { axe: { run(context: Document, options: RunOptions): Promise<AxeResults> } }).axe.run(document, options),
    RUN_OPTIONS,
  );
  return results.violations;
}

/**
 * Fails the test when `page`, as it is now, has a serious or critical WCAG 2.1 A/AA violation.
 * `label` names the page and state checked ("job detail, FAILED, fa"), for the message.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const blocking = (await axeViolations(page)).filter((violation) => BLOCKING.includes(violation.impact ?? null));
  const message = `accessibility violations on ${label} (${page.url()}):\n${blocking.map(describeViolation).join('\n')}`;
  expect(blocking.map((violation) => violation.id), message).toEqual([]);
}
