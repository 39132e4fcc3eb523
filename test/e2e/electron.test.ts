// The real desktop app through Playwright's Electron driver. It needs the Electron binary and a display;
// where either is missing (as on this project's CI machine) the tests are skipped and say why.
// The tray and notifications are OS surfaces Playwright cannot click, so the tests reach them from the main
// process (electronApp.evaluate): the menu the app last built for its tray, and Notification.show.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { displayProblem, electronBinary } from '../../scripts/launcher.mjs';
import { screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { ROOT } from '../helpers/headless.js';

const binary = electronBinary(fileURLToPath(new URL('../../node_modules/electron', import.meta.url)), process.env);
const skip =
  binary && existsSync(binary)
    ? displayProblem(process.platform, process.env)
    : 'the Electron binary is not installed (npm does not ship it and it cannot be downloaded here)';
if (skip) console.log(`# Electron e2e skipped: ${skip}`);

let app: ElectronApplication;
let page: Page;
let home: string;

before(async () => {
  if (skip) return;
  home = await tempDir();
  app = await _electron.launch({ executablePath: binary!, args: [ROOT], env: { ...process.env, SYNOR_HOME: home } });
  page = await app.firstWindow();
  // Record what the app shows the OS: every menu it builds (the tray's is the one with "Quit") and every notification,
  // with waiters resolved by the next one that matches.
  await app.evaluate(({ Menu, Notification }) => {
    type Waiter<T> = (value: T) => boolean;
    const g = globalThis as unknown as {
      trayMenu?: Electron.Menu;
      shown: string[];
      menuWaiters: Waiter<Electron.Menu>[];
      shownWaiters: Waiter<string>[];
    };
    Object.assign(g, { shown: [], menuWaiters: [], shownWaiters: [] });
    const build = Menu.buildFromTemplate.bind(Menu);
    Menu.buildFromTemplate = (template) => {
      const menu = build(template);
      if (menu.items.some((i) => i.label === 'Quit')) {
        g.trayMenu = menu;
        g.menuWaiters = g.menuWaiters.filter((waiter) => !waiter(menu));
      }
      return menu;
    };
    const show = Notification.prototype.show;
    Notification.prototype.show = function (this: Electron.Notification) {
      g.shown.push(this.title);
      g.shownWaiters = g.shownWaiters.filter((waiter) => !waiter(this.title));
      show.call(this);
    };
  });
});
after(async () => {
  if (!skip) await app.close();
});

/** Clicks the tray menu item whose label starts with `label` (in the menu shown now, or the next one that has it), as the OS would. */
const clickTray = (label: string) =>
  app.evaluate(
    (_electron, wanted) =>
      new Promise<void>((resolve) => {
        const g = globalThis as unknown as { trayMenu?: Electron.Menu; menuWaiters: ((menu: Electron.Menu) => boolean)[] };
        const tryMenu = (menu: Electron.Menu | undefined): boolean => {
          const item = menu?.items.find((i) => i.label.startsWith(wanted));
          if (item) item.click();
          if (item) resolve();
          return item !== undefined;
        };
        if (!tryMenu(g.trayMenu)) g.menuWaiters.push(tryMenu);
      }),
    label,
  );
/** Resolves once a notification with this title is shown (or already was). */
const notified = (title: string) =>
  app.evaluate(
    (_electron, wanted) =>
      new Promise<void>((resolve) => {
        const g = globalThis as unknown as { shown: string[]; shownWaiters: ((t: string) => boolean)[] };
        if (g.shown.includes(wanted)) return resolve();
        g.shownWaiters.push((t) => t === wanted && (resolve(), true));
      }),
    title,
  );
const settings = () =>
  page.evaluate(
    async () =>
      (
        await (
          globalThis as unknown as { agent: { call(c: string, a: object): Promise<{ value: { pausedUntil: number | null } }> } }
        ).agent.call('getSettings', {})
      ).value,
  );
const windowVisible = () => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.isVisible() ?? false);

test('the desktop window shows the dashboard through the preload bridge, sandboxed', { skip: skip ?? false, timeout: 60_000 }, async () => {
  await page.getByRole('switch', { name: 'Share resources' }).click();
  await page.waitForSelector('[role=switch][aria-checked="true"]');
  await page.getByText('Desktop app').waitFor();
  assert.equal(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require), 'undefined');
  assert.equal(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process), 'undefined');
  assert.deepEqual(await page.evaluate(() => Object.keys((globalThis as { agent?: object }).agent ?? {}).sort()), ['call', 'onEvent']);
  assert.match(page.url(), /^app:\/\/synor\//);
  await screenshot(page, 'electron-dashboard');
});

test('tray: pause for an hour, then resume', { skip: skip ?? false, timeout: 60_000 }, async () => {
  await page.waitForSelector('[role=switch][aria-checked="true"]');
  await clickTray('Pause for 1 hour');
  await page.waitForFunction(
    async () =>
      ((
        await (
          globalThis as unknown as { agent: { call(c: string, a: object): Promise<{ value: { pausedUntil: number | null } }> } }
        ).agent.call('getSettings', {})
      ).value.pausedUntil ?? 0) > Date.now(),
  );
  const until = (await settings()).pausedUntil!;
  assert.ok(until > Date.now() + 59 * 60_000 && until <= Date.now() + 60 * 60_000);
  await clickTray('Resume now');
  await page.waitForFunction(
    async () =>
      (
        await (
          globalThis as unknown as { agent: { call(c: string, a: object): Promise<{ value: { pausedUntil: number | null } }> } }
        ).agent.call('getSettings', {})
      ).value.pausedUntil === null,
  );
});

test('closing the window keeps the app in the tray; the tray opens it again', { skip: skip ?? false, timeout: 60_000 }, async () => {
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
  assert.equal(await windowVisible(), false);
  assert.equal(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length), 1, 'hidden, not destroyed');
  await clickTray('Open Synor Contributor');
  assert.equal(await windowVisible(), true);
});

test('a second start on the same data folder exits and shows the running window', { skip: skip ?? false, timeout: 60_000 }, async () => {
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.hide());
  // Registered after the app's own listener, so it runs once the window was shown.
  const reached = app.evaluate(
    ({ app: electronApp }) => new Promise<void>((resolve) => electronApp.once('second-instance', () => setImmediate(resolve))),
  );
  const second = spawn(binary!, [ROOT], { env: { ...process.env, SYNOR_HOME: home }, stdio: 'ignore' });
  const [code] = await once(second, 'exit');
  assert.equal(code, 0);
  await reached;
  assert.equal(await windowVisible(), true);
});

test('a pause the user should know about becomes a notification', { skip: skip ?? false, timeout: 60_000 }, async () => {
  // A schedule with no hour ticked: sharing is held back "outside your schedule", which is news.
  const week = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => false));
  const shown = notified('Sharing paused');
  await page.evaluate(
    (w) =>
      (globalThis as unknown as { agent: { call(c: string, a: object): Promise<unknown> } }).agent.call('updateSettings', {
        sharing: true,
        schedule: { enabled: true, week: w },
      }),
    week,
  );
  await shown;
});
