// Locale (issue 28 item 9), on the real page against a real headless agent. In the pseudo-locale (?lang=en-XA) every
// catalogue sentence is accented, about a third longer and bracketed, so every visible text and every aria-label,
// title, placeholder and alt of every page and main state must be bracketed, or marked in the markup as data (a <data>
// or <time> element or a data-value attribute: figures, amounts, dates, hardware names, addresses) or as the agent's
// own English sentence (data-agent-text, counted). In each state axe finds nothing serious or critical, and at 800×600
// nothing sticks out sideways with the longer words; screenshots at 1280×800 and 800×600 go to test-results/. The Fleet
// page is seen with two paired members (one earning): the machine table, a removal asked, the broker card and an alert
// limit refused, one machine on its own. Then, in German, the Earnings and Dashboard pages write figures and dates the
// German way.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pseudoText } from '../../renderer/src/i18n/pseudo.js';
import { audit } from '../helpers/axe.js';
import { launchBrowser, screenshot, waitForPositive } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { fleetMachine, pairWith } from '../helpers/fleet.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import type { TestAgent } from '../integration/support/agents.js';

const PASSPHRASE = 'correct horse battery staple';
/** No OS keychain: the key goes into a passphrase file, so the wallet is locked after a restart. */
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
const SCREENS = {
  dashboard: 'Dashboard',
  devices: 'Devices',
  wallet: 'Wallet',
  earnings: 'Earnings',
  fleet: 'Fleet',
  settings: 'Settings',
  activity: 'Activity',
  nonsense: 'Page not found',
} as const;
type Screen = keyof typeof SCREENS;
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 800, height: 600 };

let browser: Browser;
let agent: Headless;
/** The fleet's members: one that earns on its own devnet, one that stays idle. */
let earner: TestAgent;
let idle: TestAgent;
/** Settled once the earning member has earned and stopped sharing. */
let earnerDone: Promise<unknown>;
let home: string;
let context: BrowserContext;
let page: Page;
/** Every unmarked text found, by state, checked at the end of each test. */
let found: string[] = [];
/** Every axe finding (serious or critical) and every sideways overflow at 800×600, by state. */
let broken: string[] = [];
/** The agent's own sentences seen, by where they were shown. */
const agentText = new Map<string, number>();

before(async () => {
  home = await tempDir();
  // The fleet's members start with the rest, and the earning one earns while the first pages are looked at.
  [browser, agent, earner, idle] = await Promise.all([
    launchBrowser(),
    startHeadless(home, undefined, noKeychain),
    fleetMachine(true),
    fleetMachine(false),
  ]);
  // Its wallet (scrypt at full strength) is made meanwhile too; once it has earned, it stops sharing, and the cores
  // go back to the agent under test.
  earnerDone = (async () => {
    await earner.ok('walletCreate', { passphrase: PASSPHRASE });
    await earner.ok('updateSettings', { sharing: true, idleOnly: { enabled: false, minutes: 10 }, pauseWhenUserCpuAbovePercent: null });
    await earner.until((state) => BigInt(state.work.earned?.confirmedWei ?? '0') > 0n, "the fleet member's first earnings");
    await earner.ok('setShare', { on: false });
  })();
  earnerDone.catch(() => undefined); // awaited by the fleet test; a failure before then is its failure
});
beforeEach(() => {
  found = [];
  broken = [];
});
after(async () => {
  await browser?.close();
  await Promise.all([agent?.stop(), earner?.stop(), idle?.stop()]);
});

/** The page in a locale: the pseudo-locale by the documented ?lang= switch, a real one as the browser's language. */
async function open(lang: string): Promise<void> {
  await context?.close();
  const pseudo = lang === 'en-XA';
  context = await browser.newContext({ bypassCSP: true, viewport: WIDE, ...(pseudo ? {} : { locale: lang }) });
  page = await context.newPage();
  await page.goto(`${agent.origin}/${pseudo ? '?lang=en-XA' : ''}#token=${agent.token}`);
}

async function show(screen: Screen): Promise<void> {
  await page.evaluate((hash) => ((globalThis as unknown as { location: { hash: string } }).location.hash = hash), `#/${screen}`);
  await page.locator('h1', { hasText: pseudoText(SCREENS[screen]) }).waitFor();
}

/**
 * In the page: every visible text and labelling attribute that holds a letter or digit outside brackets and data. A
 * script's text (the bundler names a compiled function's inner functions with a helper the page lacks).
 */
const UNMARKED_IN_PAGE = `(() => {
  const DATA = 'data, time, [data-value], [data-agent-text]';
  // Brackets may nest (a sentence given to another): only what is outside every bracket counts.
  const outside = (text) => {
    let depth = 0;
    let out = '';
    for (const ch of text) {
      if (ch === '[') depth += 1;
      else if (ch === ']' && depth > 0) depth -= 1;
      else if (depth === 0) out += ch;
    }
    return out;
  };
  const unmarked = (text) => /[\\p{L}\\p{N}]/u.test(outside(text));
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(DATA + ', script, style')) continue;
    // A closed list's options and an SVG's title are not laid out, yet a user reads them.
    if (!el.checkVisibility() && !el.closest('option, title')) continue;
    if (unmarked(node.textContent)) found.push('<' + el.tagName.toLowerCase() + '> "' + node.textContent.trim() + '"');
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
    if (el.closest(DATA)) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      const value = el.getAttribute(name);
      if (value !== null && unmarked(value)) found.push('<' + el.tagName.toLowerCase() + ' ' + name + '="' + value + '">');
    }
  }
  return { unmarked: found, agent: document.querySelectorAll('[data-agent-text]').length };
})()`;

/**
 * In the page: what sticks out at this width. The page scrolling sideways; a visible element reaching past the
 * window's edge that no scrolling box holds (a wide table inside one scrolls on its own); a word wider than the box
 * it is written in (a button, a cell), which spills over its neighbours.
 */
const OVERFLOW_IN_PAGE = `(() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const sideways = document.documentElement.scrollWidth - width;
  if (sideways > 0) out.push('the page scrolls ' + sideways + 'px sideways');
  const scrolls = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const name = (el) => '<' + el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + '> "' +
    (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40) + '"';
  for (const el of document.body.querySelectorAll('*')) {
    const written = [...el.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim() !== '');
    if (written && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible')
      out.push(name(el) + ' is ' + (el.scrollWidth - el.clientWidth) + 'px wider than its box');
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0 || !el.checkVisibility()) continue;
    let holder = el.parentElement;
    while (holder && holder !== document.body && !scrolls(holder)) holder = holder.parentElement;
    if (holder && holder !== document.body) continue;
    out.push(name(el) + ' ends at ' + Math.round(box.right) + 'px');
  }
  return out.slice(0, 5);
})()`;

/** Looks at the screen as it is now: its words, axe at 1280×800, overflow at 800×600, and a screenshot at each size. */
async function inspect(screen: Screen, state: string): Promise<void> {
  const where = `${screen} (${state})`;
  const { unmarked, agent: sentences } = (await page.evaluate(UNMARKED_IN_PAGE)) as { unmarked: string[]; agent: number };
  for (const line of unmarked) found.push(`${where}: ${line}`);
  if (sentences > 0) agentText.set(where, sentences);
  await screenshot(page, `pseudo-${screen}-${state}`);
  for (const line of await audit(page)) broken.push(`${where}, axe: ${line}`);
  await page.setViewportSize(NARROW);
  for (const line of (await page.evaluate(OVERFLOW_IN_PAGE)) as string[]) broken.push(`${where} at 800×600: ${line}`);
  await screenshot(page, `pseudo-${screen}-${state}-800x600`);
  await page.setViewportSize(WIDE);
}

/** Shows a page and looks at it. */
async function check(screen: Screen, state: string): Promise<void> {
  await show(screen);
  await inspect(screen, state);
}

function assertNoneFound(): void {
  console.log(`# agent sentences shown as they are: ${JSON.stringify(Object.fromEntries(agentText))}`);
  assert.deepEqual([...new Set(found)], [], 'every word on screen comes from the catalogue or is marked as data');
  assert.deepEqual([...new Set(broken)], [], 'axe finds nothing serious or critical, and nothing sticks out at 800×600');
}

test(
  'pseudo-locale, a new user: every page, sharing off and no wallet, plus an address that names no page',
  { timeout: 180_000 },
  async () => {
    await open('en-XA');
    await check('dashboard', 'off');
    await page.getByTestId('welcome').waitFor();
    await check('devices', 'detecting');
    await page.getByTestId('device-card').first().waitFor({ timeout: 60_000 });
    await check('devices', 'new');
    for (const screen of ['wallet', 'earnings', 'fleet', 'settings', 'activity', 'nonsense'] as const) await check(screen, 'new');
    assertNoneFound();
  },
);

test('pseudo-locale, earning: sharing on with a wallet, every page', { timeout: 300_000 }, async () => {
  await rpc(agent, 'walletCreate', { passphrase: PASSPHRASE });
  await rpc(agent, 'updateSettings', { sharing: true, idleOnly: { enabled: false, minutes: 10 }, pauseWhenUserCpuAbovePercent: null });
  await show('dashboard');
  await waitForPositive(page, 'earned', 180_000);
  for (const screen of ['dashboard', 'devices', 'wallet', 'earnings', 'fleet', 'settings', 'activity'] as const) await check(screen, 'on');
  await rpc(agent, 'setShare', { on: false });
  assertNoneFound();
});

test('pseudo-locale, a locked wallet after a restart: Dashboard, Wallet and Earnings', { timeout: 180_000 }, async () => {
  await agent.stop();
  agent = await startHeadless(home, undefined, noKeychain);
  await open('en-XA');
  await page.getByTestId('blocker').waitFor({ timeout: 60_000 });
  await check('dashboard', 'locked');
  await check('wallet', 'locked');
  await check('earnings', 'locked');
  await waitForPositive(page, 'earned-confirmed', 60_000);
  await check('earnings', 'locked');
  assertNoneFound();
});

test(
  'pseudo-locale, a fleet with two members: the machine table, a removal asked, the broker card, a limit refused, one machine',
  { timeout: 300_000 },
  async () => {
    try {
      await rpc(agent, 'updateSettings', { fleet: { enabled: true, port: 0 } });
      const ids = { earner: await pairWith(agent, earner), idle: await pairWith(agent, idle) };
      await earnerDone;
      // The page reads the settings when it connects: open it again now that pairing is on.
      await open('en-XA');
      await show('fleet');
      const online = (id: string) => page.locator(`[data-testid="fleet-machine"][data-id="${id}"][data-state="online"]`);
      await online(ids.idle).waitFor({ timeout: 60_000 });
      await online(ids.earner).waitFor({ timeout: 60_000 });
      // The combined earnings once the earning member has earned and the page asked again.
      await page.locator(`[data-testid="fleet-by-machine"] tr[data-id="${ids.earner}"]`).waitFor({ timeout: 240_000 });
      await inspect('fleet', 'members');

      const reason = page.locator(`tr[data-reason-for="${ids.idle}"]`);
      await reason.getByRole('button', { name: pseudoText('Remove') }).click();
      await reason.getByRole('alert').waitFor();
      await inspect('fleet', 'remove-asked');
      await reason.getByRole('button', { name: pseudoText('Cancel') }).click();

      // A broker address the agent refuses, then one that never answers; an alert limit below its least.
      const broker = page.getByLabel(pseudoText('Message broker address'));
      const save = page.getByRole('button', { name: pseudoText('Save'), exact: true });
      await broker.fill('broker.example.org:1883');
      await save.click();
      await page.locator('#fleet-broker-error').and(page.locator(':not(:empty)')).waitFor();
      await inspect('fleet', 'broker-refused');
      await broker.fill('mqtt://127.0.0.1:9');
      await save.click();
      await page.getByTestId('fleet-broker-state').locator('.error-text').waitFor({ timeout: 60_000 });
      const limit = page.getByLabel(pseudoText('Tell me when a machine is offline for'));
      await limit.fill('0');
      await limit.press('Tab');
      await page.locator('#fleet-offline-minutes-error').and(page.locator(':not(:empty)')).waitFor();
      await inspect('fleet', 'broker-unreachable-limit-refused');

      await online(ids.earner).locator('th button').click();
      await page.getByTestId('fleet-detail-name').waitFor();
      await page.getByRole('heading', { name: pseudoText('Earnings per day') }).waitFor();
      await inspect('fleet', 'machine');
      assertNoneFound();
    } finally {
      await rpc(agent, 'updateSettings', { fleet: { enabled: false, port: 0, broker: null } });
    }
  },
);

/** Waits until the amount in a data-testid element is above zero, by its wei (its text is in the page's locale). */
const amountShown = (testId: string): Promise<unknown> =>
  page.waitForFunction(`BigInt(document.querySelector('[data-testid="${testId}"] data')?.value ?? '0') > 0n`, undefined, {
    timeout: 60_000,
  });

test(
  'German: figures, amounts and dates on the Earnings and Dashboard pages are written the German way',
  { timeout: 120_000 },
  async () => {
    await open('de-DE');
    await page.getByRole('navigation').getByRole('link', { name: 'Earnings' }).click();
    await amountShown('earned-confirmed');
    const amount = (await page.getByTestId('earned-confirmed').locator('data').textContent()) ?? '';
    assert.match(amount, /^\d{1,3}(\.\d{3})*,\d+$/, `an amount with a decimal comma: ${amount}`);
    const issued = page.getByTestId('receipt-time').first();
    await issued.waitFor();
    // German medium dates: "07.12.2026, 14:05"; English would be "Dec 7, 2026, 2:05 PM".
    assert.match((await issued.textContent()) ?? '', /^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
    await screenshot(page, 'de-earnings');
    await page.getByRole('navigation').getByRole('link', { name: 'Dashboard' }).click();
    await amountShown('earned');
    const earned = (await page.getByTestId('earned').locator('data').textContent()) ?? '';
    assert.match(earned, /^\d{1,3}(\.\d{3})*,\d+$/, `the dashboard's amount with a decimal comma: ${earned}`);
    const recent = page.getByTestId('recent-activity').locator('time').first();
    await recent.waitFor();
    assert.match((await recent.textContent()) ?? '', /^\d{2}:\d{2}:\d{2}$/, 'a 24-hour time');
    await screenshot(page, 'de-dashboard');
  },
);
