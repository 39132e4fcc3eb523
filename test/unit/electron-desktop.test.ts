// Start at login (a real file under a temp HOME), the app:// scheme (real renderer files), notifications and the
// updater wiring, each through fakes of the Electron objects they receive.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { NotificationConstructorOptions, Protocol } from 'electron';
import { applyStartAtLogin, autostartFile, desktopEntry, launchCommand, startedHidden } from '../../main/electron/autostart.js';
import { notifier } from '../../main/electron/notify.js';
import { APP_CSP, APP_URL, appFile, serveApp } from '../../main/electron/protocol.js';
import { CHECK_EVERY_MS, startUpdates, updatesOff, type UpdaterLike } from '../../main/electron/updater.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';

const noLoginItems = { setLoginItemSettings: () => assert.fail('Linux has no login items') };

test('Linux: the XDG autostart entry is written with the setting and removed without it', { timeout: 120_000 }, async () => {
  const home = await tempDir('synor-home-');
  const o = {
    platform: 'linux' as const,
    env: {},
    home,
    execPath: '/opt/Synor Contributor/synor-contributor',
    appArgs: [],
    app: noLoginItems,
  };
  const file = join(home, '.config', 'autostart', 'synor-contributor.desktop');
  await applyStartAtLogin(true, o);
  const text = await readFile(file, 'utf8');
  assert.match(text, /^\[Desktop Entry\]\n/);
  assert.match(text, /^Type=Application$/m);
  // The deb installs under a folder with a space: quoted as the Desktop Entry spec says.
  assert.match(text, /^Exec="\/opt\/Synor Contributor\/synor-contributor" --hidden$/m);
  await applyStartAtLogin(true, o); // again: still one file, same content
  assert.equal(await readFile(file, 'utf8'), text);
  await applyStartAtLogin(false, o);
  await assert.rejects(stat(file), { code: 'ENOENT' });
  await applyStartAtLogin(false, o); // already gone: fine
});

test(
  'Linux: an AppImage starts itself from $APPIMAGE, not its temporary mount; XDG_CONFIG_HOME is honoured',
  { timeout: 120_000 },
  async () => {
    const home = await tempDir('synor-home-');
    const env = { APPIMAGE: '/home/ann/Apps/Synor Contributor-0.1.0.AppImage', XDG_CONFIG_HOME: join(home, 'cfg') };
    await applyStartAtLogin(true, {
      platform: 'linux',
      env,
      home,
      execPath: '/tmp/.mount_SynorXYZ/synor-contributor',
      appArgs: [],
      app: noLoginItems,
    });
    const text = await readFile(autostartFile(env, home), 'utf8');
    assert.ok(autostartFile(env, home).startsWith(join(home, 'cfg', 'autostart')));
    assert.match(text, /^Exec="\/home\/ann\/Apps\/Synor Contributor-0\.1\.0\.AppImage" --hidden$/m);
    // A development Electron is told which app to run.
    assert.deepEqual(launchCommand({}, '/usr/bin/electron', ['/src/app']), ['/usr/bin/electron', '/src/app', '--hidden']);
    assert.match(desktopEntry(['/a/b$c"d%e']), /^Exec="\/a\/b\\\$c\\"d%%e"$/m);
  },
);

test('macOS and Windows: a login item with --hidden; macOS says it started at login instead', { timeout: 120_000 }, async () => {
  const set: unknown[] = [];
  const app = { setLoginItemSettings: (s: unknown) => set.push(s) };
  for (const platform of ['win32', 'darwin'] as const)
    await applyStartAtLogin(platform === 'win32', { platform, env: {}, home: '/nowhere', execPath: 'x', appArgs: [], app });
  assert.deepEqual(set, [
    { openAtLogin: true, args: ['--hidden'] },
    { openAtLogin: false, args: ['--hidden'] },
  ]);
  const atLogin = (was: boolean) => ({ getLoginItemSettings: () => ({ wasOpenedAtLogin: was }) as never });
  assert.equal(startedHidden(['app', '--hidden'], 'linux', atLogin(false)), true);
  assert.equal(startedHidden(['app'], 'darwin', atLogin(true)), true);
  assert.equal(startedHidden(['app'], 'darwin', atLogin(false)), false);
  assert.equal(startedHidden(['app'], 'win32', atLogin(true)), false);
});

test('app:// maps to files inside the renderer folder only', { timeout: 120_000 }, () => {
  const rendererDir = '/opt/synor/resources/app.asar/dist/renderer';
  assert.equal(appFile(APP_URL, rendererDir), join(rendererDir, 'index.html'));
  assert.equal(appFile('app://synor/', rendererDir), join(rendererDir, 'index.html'));
  assert.equal(appFile('app://synor/assets/app.js?v=1#x', rendererDir), join(rendererDir, 'assets', 'app.js'));
  // Dot segments resolve inside the folder or are refused; nothing maps outside it.
  for (const url of [
    'app://synor/../../etc/passwd',
    'app://synor/%2e%2e/%2e%2e/etc/passwd',
    'app://synor/assets/%2e%2e%2f..%2f..%2fx',
    'app://synor/..%5c..%5cx',
  ]) {
    const file = appFile(url, rendererDir);
    assert.ok(file === null || file.startsWith(`${rendererDir}/`), `${url} -> ${file}`);
  }
  for (const url of [
    'app://synor/%2e%2e%2f%2e%2e%2fetc/passwd',
    'app://other/index.html',
    'file:///etc/passwd',
    'app://synor/%E0%A4%A',
    'nonsense',
  ]) {
    assert.equal(appFile(url, rendererDir), null, url);
  }
});

test('app:// serves the page with a CSP that allows no WebSocket, and 404 for anything else', { timeout: 120_000 }, async () => {
  const rendererDir = await tempDir('synor-renderer-');
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Synor</title>');
  let handler: ((request: Request) => Promise<Response>) | undefined;
  const protocol = { handle: (scheme: string, h: typeof handler) => (assert.equal(scheme, 'app'), (handler = h)) } as unknown as Pick<
    Protocol,
    'handle'
  >;
  // net.fetch on file:// answers 200 with the bytes, or fails for a missing file.
  serveApp(protocol, rendererDir, async (url) => new Response(await readFile(fileURLToPath(url))));
  const page = await handler!(new Request(APP_URL));
  assert.equal(page.status, 200);
  assert.equal(await page.text(), '<!doctype html><title>Synor</title>');
  assert.equal(page.headers.get('content-security-policy'), APP_CSP);
  assert.doesNotMatch(APP_CSP, /ws:|wss:|\*/);
  assert.equal((await handler!(new Request('app://synor/missing.js'))).status, 404);
  assert.equal((await handler!(new Request('app://synor/../../etc/passwd'))).status, 404);
});

test('news becomes a notification that opens the window; nothing where the OS has no notifications', { timeout: 120_000 }, () => {
  const shown: NotificationConstructorOptions[] = [];
  let supported = true;
  let opened = 0;
  class FakeNotification extends EventEmitter {
    static isSupported = () => supported;
    constructor(readonly options: NotificationConstructorOptions) {
      super();
    }
    show() {
      shown.push(this.options);
      this.emit('click');
    }
  }
  const show = notifier(FakeNotification, () => opened++);
  show({ kind: 'wallet', key: 'wallet-locked', title: 'Wallet locked', body: 'Unlock it.' });
  show({ kind: 'pause', key: 'pause:x', title: 'Sharing paused', body: 'On battery.' });
  supported = false;
  show({ kind: 'claim', key: 'claim-ready', title: 'Earnings ready to claim', body: '1 SYNOR' });
  assert.deepEqual(shown, [
    { title: 'Wallet locked', body: 'Unlock it.', silent: false },
    { title: 'Sharing paused', body: 'On battery.', silent: true },
  ]);
  assert.equal(opened, 2);
});

/** Behaves as electron-updater's AppUpdater does for these calls: events, a promise per check. */
class FakeUpdater extends EventEmitter implements UpdaterLike {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  checks = 0;
  fail = false;
  checkForUpdates() {
    this.checks++;
    return this.fail ? Promise.reject(new Error('net::ERR_INTERNET_DISCONNECTED')) : Promise.resolve(null);
  }
  quitAndInstall() {}
}

test('updates are off in development and without a feed', { timeout: 120_000 }, () => {
  assert.match(updatesOff({ isPackaged: false, resourcesPath: '/r', exists: () => true })!, /development/);
  assert.match(updatesOff({ isPackaged: true, resourcesPath: '/r', exists: () => false })!, /no update feed/);
  assert.equal(updatesOff({ isPackaged: true, resourcesPath: '/r', exists: (f) => f === join('/r', 'app-update.yml') }), null);
});

test('the updater checks at once and every six hours, downloads by itself and offers the restart', { timeout: 120_000 }, async () => {
  const updater = new FakeUpdater();
  const logger = new MemoryLogger();
  const ready: string[] = [];
  let periodic: { ms: number; fn: () => void } | undefined;
  let stopped = false;
  const updates = startUpdates(updater, {
    logger,
    every: (ms, fn) => ((periodic = { ms, fn }), () => (stopped = true)),
    onReady: (v) => ready.push(v),
  });
  assert.equal(updater.autoDownload, true);
  assert.equal(updater.autoInstallOnAppQuit, true);
  assert.equal(updater.checks, 1);
  assert.equal(periodic?.ms, CHECK_EVERY_MS);
  updater.fail = true;
  periodic!.fn();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(updater.checks, 2);
  assert.ok(logger.lines.some((l) => l.includes('update check failed: net::ERR_INTERNET_DISCONNECTED')));
  updater.emit('update-downloaded', { version: '0.2.0' });
  assert.deepEqual(ready, ['0.2.0']);
  updates.stop();
  assert.ok(stopped);
});
