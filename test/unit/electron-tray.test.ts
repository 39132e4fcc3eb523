// The tray menu and icon, built from real agent states by pure functions (Electron's Menu takes the template as is).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MenuItem, MenuItemConstructorOptions } from 'electron';
import { clickOpensWindow, iconStyle, tomorrow, trayIconBitmap, trayMenu, trayTooltip, type TrayView } from '../../main/electron/tray.js';
import { testAgent } from '../helpers/agent.js';

const NOW = new Date(2026, 10, 25, 15, 30).getTime();

function recorder() {
  const calls: unknown[][] = [];
  const actions = {
    setShare: (on: boolean) => calls.push(['setShare', on]),
    pauseUntil: (until: number | null) => calls.push(['pauseUntil', until]),
    show: () => calls.push(['show']),
    restartToUpdate: () => calls.push(['restart']),
    quit: () => calls.push(['quit']),
  };
  return { calls, actions };
}
const item = (menu: MenuItemConstructorOptions[], label: string | RegExp) => {
  const found = menu.find((i) => (typeof label === 'string' ? i.label === label : label.test(i.label ?? '')));
  assert.ok(found, `menu item ${String(label)} in ${menu.map((i) => i.label).join(' | ')}`);
  return found;
};
const click = (i: MenuItemConstructorOptions, checked = false) => i.click?.({ checked } as MenuItem, undefined, {} as never);

async function view(patch: Partial<TrayView> = {}): Promise<TrayView> {
  const { agent } = await testAgent();
  await agent.call({ cmd: 'setShare', args: { on: true } });
  const state = agent.state();
  await agent.close();
  return { state, pausedUntil: null, today: null, updateReady: null, now: NOW, ...patch };
}

test('the menu says why, flips sharing, pauses for an hour or until tomorrow, opens and quits', { timeout: 120_000 }, async () => {
  const v = await view();
  const { calls, actions } = recorder();
  const menu = trayMenu(v, actions);
  assert.deepEqual(menu[0], { label: v.state.status.reason, enabled: false });
  const share = item(menu, 'Share resources');
  assert.equal(share.type, 'checkbox');
  assert.equal(share.checked, true);
  click(share, false);
  click(item(menu, 'Pause for 1 hour'));
  click(item(menu, 'Pause until tomorrow'));
  click(item(menu, 'Open Synor Contributor'));
  click(item(menu, 'Quit'));
  assert.deepEqual(calls, [
    ['setShare', false],
    ['pauseUntil', NOW + 3_600_000],
    ['pauseUntil', new Date(2026, 10, 26).getTime()],
    ['show'],
    ['quit'],
  ]);
  assert.equal(trayTooltip(v.state), `Synor Contributor: ${v.state.status.reason}`);
});

test('while paused the menu offers to resume, with the time it would end', { timeout: 120_000 }, async () => {
  const until = NOW + 45 * 60_000;
  const { calls, actions } = recorder();
  const menu = trayMenu(await view({ pausedUntil: until }), actions);
  assert.ok(!menu.some((i) => i.label === 'Pause for 1 hour'));
  const time = new Date(until).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  click(item(menu, `Resume now (paused until ${time})`));
  assert.deepEqual(calls, [['pauseUntil', null]]);
  // A pause that has ended is not shown as one.
  assert.ok(trayMenu(await view({ pausedUntil: NOW - 1 }), actions).some((i) => i.label === 'Pause for 1 hour'));
});

test("pausing is offered only while sharing; today's earnings and a waiting update are shown", { timeout: 120_000 }, async () => {
  const v = await view();
  const off = { ...v, state: { ...v.state, sharing: false } };
  const { actions, calls } = recorder();
  assert.equal(item(trayMenu(off, actions), 'Pause for 1 hour').enabled, false);
  assert.equal(item(trayMenu(v, actions), /^Earned today/).label, 'Earned today: not connected yet');
  const today = { key: 'today', confirmedWei: String(25n * 10n ** 16n), pendingWei: String(10n ** 16n), receipts: 3, pendingTasks: 1 };
  assert.equal(item(trayMenu({ ...v, today }, actions), /^Earned today/).label, 'Earned today: 0.25 SYNOR (+0.01 pending)');
  const devnet = {
    ...v.state,
    work: {
      ...v.state.work,
      network: {
        code: 'connected' as const,
        message: 'Connected',
        url: 'http://127.0.0.1:1/',
        devnet: true,
        label: 'Local devnet',
        queued: 0,
        activeLeases: 0,
        retryAt: null,
      },
    },
  };
  assert.equal(
    item(trayMenu({ ...v, state: devnet, today: { ...today, pendingWei: '0' } }, actions), /^Earned today/).label,
    'Earned today: 0.25 test SYNOR',
  );
  click(item(trayMenu({ ...v, updateReady: '0.2.0' }, actions), 'Restart to update to 0.2.0'));
  assert.deepEqual(calls, [['restart']]);
});

test('"until tomorrow" is the next local midnight, also just before it', { timeout: 120_000 }, () => {
  assert.equal(tomorrow(new Date(2026, 11, 31, 23, 59).getTime()), new Date(2027, 0, 1).getTime());
  assert.equal(tomorrow(new Date(2026, 2, 1, 0, 0).getTime()), new Date(2026, 2, 2).getTime());
});

test('the icon has one shape per state, a template on macOS and a variant per panel colour elsewhere', { timeout: 120_000 }, () => {
  const size = 32;
  const alpha = (bitmap: Buffer, x: number, y: number) => bitmap[(y * size + x) * 4 + 3]!;
  const codes = ['off', 'waiting', 'paused', 'working'] as const;
  const template = codes.map((code) => trayIconBitmap(code, size, 'template'));
  // Shapes differ where it matters: the centre (working and waiting are filled there, off and paused are not).
  assert.deepEqual(
    template.map((b) => alpha(b, 16, 16) > 128),
    [false, true, false, true],
  );
  // Paused bars at the sides, not on the ring's top.
  assert.ok(alpha(template[2]!, 10, 16) > 128 && alpha(template[2]!, 16, 2) < 128);
  assert.ok(alpha(template[0]!, 16, 2) > 128, 'off is a ring');
  for (const bitmap of template) {
    assert.equal(bitmap.length, size * size * 4);
    assert.equal(alpha(bitmap, 0, 0), 0, 'transparent corners');
    for (let i = 0; i < bitmap.length; i += 4) assert.deepEqual([bitmap[i], bitmap[i + 1], bitmap[i + 2]], [0, 0, 0]);
  }
  const luminance = (bitmap: Buffer) =>
    (bitmap[(16 * size + 16) * 4]! + bitmap[(16 * size + 16) * 4 + 1]! + bitmap[(16 * size + 16) * 4 + 2]!) / 3;
  assert.ok(luminance(trayIconBitmap('working', size, 'light')) > luminance(trayIconBitmap('working', size, 'dark')));
  assert.equal(iconStyle('darwin', true), 'template');
  assert.equal(iconStyle('linux', true), 'light');
  assert.equal(iconStyle('win32', false), 'dark');
});

test('a left click opens the window only where the OS reports one (Windows)', { timeout: 120_000 }, () => {
  assert.deepEqual(
    ['win32', 'darwin', 'linux'].map((p) => clickOpensWindow(p as NodeJS.Platform)),
    [true, false, false],
  );
});
