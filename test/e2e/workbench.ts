/**
 * Playwright helpers for driving VS Code (code-server) in Chromium: the
 * command palette, quick open, and reading inside webview/output iframes.
 */
import type { Frame, Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Runs a command through the command palette by its exact label. */
export async function runCommand(page: Page, label: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${label}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** Opens a workspace file with Quick Open. */
export async function quickOpen(page: Page, fileName: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(fileName);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/**
 * Evaluates `read` in every frame of the page until `accept` takes one of its
 * results; `read` runs in the browser, so it must be self-contained.
 */
/** frame.evaluate with a time limit: a webview frame that never gets an execution context would hang it. */
async function evaluateBriefly<R>(frame: Frame, read: () => R, ms = 2_000): Promise<R | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([frame.evaluate(read).catch(() => undefined) as Promise<R | undefined>, limit]);
  } finally {
    clearTimeout(timer);
  }
}

export async function pollFrames<R, T>(
  page: Page,
  read: () => R,
  accept: (value: R) => T | undefined,
  what: string,
  timeoutMs: number,
): Promise<{ frame: Frame; value: T }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const raw = await evaluateBriefly(frame, read);
      const value = raw === undefined ? undefined : accept(raw as R);
      if (value !== undefined) return { frame, value };
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await page.waitForTimeout(500);
  }
}

/** Like pollFrames, in one frame. */
export async function pollFrame<R, T>(frame: Frame, read: () => R, accept: (value: R) => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const raw = await evaluateBriefly(frame, read);
    const value = raw === undefined ? undefined : accept(raw as R);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The toolbar of the visible notebook editor (it names the selected controller). */
export function notebookToolbar(page: Page, hasText?: string) {
  return page.locator('.notebookOverlay:visible .notebook-toolbar-container', hasText ? { hasText } : {});
}

/** The status-bar item of the extension (its presence shows the extension host activated it). */
export function fedbookStatus(page: Page) {
  return page.locator('.statusbar-item', { hasText: 'Fedbook' }).first();
}

/** Rows (cells) of the active notebook editor. */
export function notebookCells(page: Page) {
  return page.locator('.notebookOverlay:visible .cell-list-container .monaco-list-row');
}

/** Waits until the status bar shows the kernel idle on three polls in a row (queued cells start at once, so idle means done). */
export async function waitForKernelIdle(page: Page, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  while (streak < 3) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for the kernel to be idle (status: ${await fedbookStatus(page).innerText()})`);
    const text = await fedbookStatus(page).innerText();
    streak = text.includes('Fedbook: idle') ? streak + 1 : 0;
    await page.waitForTimeout(1_000);
  }
}
