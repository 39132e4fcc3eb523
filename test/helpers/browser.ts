import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './headless.js';

/**
 * Debian's Chromium (installed by scripts/system-deps.sh); quiet flags, since this machine has no network.
 * `webgpu`: offer a WebGPU adapter (SwiftShader, on the CPU, where there is no GPU); headless Chromium offers
 * none without --enable-unsafe-webgpu.
 */
export function launchBrowser({ webgpu = false } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      webgpu ? '--enable-unsafe-webgpu' : '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const RESULTS_DIR = join(ROOT, 'test-results');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`), fullPage: true });
}

/** Waits until the number shown in a data-testid element is above zero (a function, since the app's CSP forbids eval). */
export function waitForPositive(page: Page, testId: string, timeout: number): Promise<unknown> {
  return page.waitForFunction(
    (id) => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document;
      return Number.parseFloat(doc.querySelector(`[data-testid="${id}"]`)?.textContent ?? '0') > 0;
    },
    testId,
    { timeout },
  );
}
