/** Electron entry: the only place that wires real Electron objects to the agent. */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  net,
  Notification,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
} from 'electron';
import { autoUpdater } from 'electron-updater';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from '../common/contract.js';
import type { EarningsBucket } from '../common/network.js';
import type { Agent } from '../core/agent.js';
import { updateTell } from '../core/notices/tell.js';
import { stderrLogger } from '../core/node-ports.js';
import { shutdown, startAgent } from '../core/startup.js';
import { electronIdle, electronPower, electronSession } from './adapters.js';
import { applyStartAtLogin, startedHidden } from './autostart.js';
import { forwardEvents, serveIpc, trustedFrame } from './ipc.js';
import { notifier } from './notify.js';
import { dialogBackupSaver } from './save-dialog.js';
import { APP_URL, PRIVILEGED_SCHEMES, serveApp } from './protocol.js';
import { SafeStorageStore } from './secret-store.js';
import { clickOpensWindow, iconStyle, trayIconBitmap, trayMenu, trayTooltip } from './tray.js';
import { startUpdates, updatesOff } from './updater.js';
import { createWindow, hardenContents, hardenSession, isAllowedExternal } from './window.js';

// Built layout: dist/main/electron.cjs, dist/preload/index.cjs, dist/renderer/, dist/icons/ (scripts/build-main.mjs).
const rendererDir = join(__dirname, '..', 'renderer');
const windowIcon = join(__dirname, '..', 'icons', '512x512.png');
const TRAY_PX = 32;

let window: BrowserWindow | undefined;
let tray: Tray | undefined;
/** Set once the agent is closed: then quitting may really happen. */
let closed = false;
let quitting = false;

function showWindow(): void {
  if (!window) {
    const win = createWindow(BrowserWindow, join(__dirname, '..', 'preload', 'index.cjs'), existsSync(windowIcon) ? windowIcon : undefined);
    win.once('ready-to-show', () => win.show());
    // Close-to-tray: sharing goes on until the user quits from the tray.
    win.on('close', (event) => {
      if (!quitting) {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => (window = undefined));
    void win.loadURL(APP_URL);
    window = win;
  } else {
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }
}

/** A quit that cannot close the agent cleanly still quits: the next start recovers what was left (outbox, job hosts). */
const closeThen = (stop: () => Promise<void>, then: () => void): Promise<void> =>
  stop()
    .catch((error: Error) => stderrLogger.error(`closing the agent failed: ${error.stack ?? error.message}`))
    .then(then);

/**
 * Today's totals from local midnight on the network in use, for the tray line (the agent cuts days at this machine's
 * offset; the command takes no offset, and the tray line was refused while it sent one).
 */
async function earnedToday(agent: Agent): Promise<EarningsBucket | null> {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const network = agent.state().work.networks?.find((n) => n.current)?.key;
  const result = await agent.call({
    cmd: 'getEarnings',
    args: { fromMs: midnight.getTime(), ...(network ? { network } : {}) },
  });
  const summary = result.ok ? commands.getEarnings.result.safeParse(result.value) : null;
  return summary?.success ? summary.data.total : null;
}

function followTray(agent: Agent, restartToUpdate: () => void): { refresh(): void; setUpdate(version: string): void } {
  let updateReady: string | null = null;
  let shown = '';
  const actions = {
    setShare: (on: boolean) => void agent.call({ cmd: 'setShare', args: { on } }),
    pauseUntil: (until: number | null) => void agent.call({ cmd: 'updateSettings', args: { pausedUntil: until } }),
    show: showWindow,
    restartToUpdate,
    quit: () => app.quit(),
  };
  const draw = async (): Promise<void> => {
    const state = agent.state();
    const image = nativeImage.createFromBitmap(
      trayIconBitmap(state.status.code, TRAY_PX, iconStyle(process.platform, nativeTheme.shouldUseDarkColors)),
      {
        width: TRAY_PX,
        height: TRAY_PX,
        // 16 points on macOS's menu bar, drawn at twice that for Retina.
        scaleFactor: process.platform === 'darwin' ? 2 : 1,
      },
    );
    image.setTemplateImage(process.platform === 'darwin');
    if (!tray) {
      tray = new Tray(image);
      if (clickOpensWindow(process.platform)) tray.on('click', showWindow);
    }
    tray.setImage(image);
    tray.setToolTip(trayTooltip(state));
    const view = { state, pausedUntil: agent.settings().pausedUntil, today: await earnedToday(agent), updateReady, now: Date.now() };
    tray.setContextMenu(Menu.buildFromTemplate(trayMenu(view, actions)));
  };
  // State arrives every second while sharing; the tray is redrawn only when what it shows changes.
  const refresh = (): void => {
    const s = agent.state();
    const key = JSON.stringify([
      s.sharing,
      s.status,
      agent.settings().pausedUntil,
      s.work.earned,
      updateReady,
      nativeTheme.shouldUseDarkColors,
    ]);
    if (key !== shown) void draw().catch((error: Error) => stderrLogger.error(`tray: ${error.message}`));
    shown = key;
  };
  nativeTheme.on('updated', refresh);
  return { refresh, setUpdate: (version) => ((updateReady = version), refresh()) };
}

async function run(): Promise<void> {
  hardenSession(session.defaultSession);
  serveApp(protocol, rendererDir, (url) => net.fetch(url));
  const started = await startAgent({
    mode: 'electron',
    version: app.getVersion(),
    home: app.getPath('home'),
    // The packaged app cannot find its own folder from the bundle's path alone.
    appRoot: app.getAppPath(),
    ports: (os, paths) => ({
      secrets: new SafeStorageStore(safeStorage, join(paths.dataDir, 'wallet', 'secrets')),
      saveBackup: dialogBackupSaver(dialog, () => window),
      idle: electronIdle(powerMonitor, os.idle),
      power: electronPower(powerMonitor, os.power),
      session: electronSession(powerMonitor),
    }),
  });
  if (!started.started) {
    if ('error' in started) {
      // The disk refuses the data folder (full, read-only): the same sentence headless mode prints.
      dialog.showErrorBox('Synor Contributor could not start', started.error.message);
    } else {
      // Headless mode already runs on this data folder (another desktop app would have been stopped by the single-instance lock).
      const { pid, url } = started.running;
      dialog.showErrorBox(
        'Synor Contributor is already running',
        `It runs in headless mode (process ${pid}) on the same data folder. ${url ? `Open ${url} in your browser, or stop it` : 'Stop it'} and start the desktop app again.`,
      );
    }
    closed = true;
    return app.quit();
  }
  const { agent } = started;
  const stop = shutdown(started);
  // Quitting (tray, OS logout, SIGTERM) waits for the agent to put its work away, then really quits.
  app.on('before-quit', (event) => {
    quitting = true;
    if (closed) return;
    event.preventDefault();
    void closeThen(stop, () => ((closed = true), app.quit()));
  });
  serveIpc(ipcMain, agent, trustedFrame(APP_URL));
  forwardEvents(agent, () => window?.webContents);
  const show = notifier(Notification, showWindow);
  agent.onTell(show);
  const trayView = followTray(agent, () => void closeThen(stop, () => ((closed = quitting = true), autoUpdater.quitAndInstall())));
  agent.subscribe((event) => event.type === 'state' && trayView.refresh());
  trayView.refresh();

  // Start with the computer, in the tray: "install, toggle, forget".
  const loginItem = {
    platform: process.platform,
    env: process.env,
    home: app.getPath('home'),
    execPath: process.execPath,
    appArgs: app.isPackaged ? [] : [app.getAppPath()],
    app,
  };
  let startAtLogin: boolean | null = null;
  const followStartAtLogin = (): void => {
    const on = agent.settings().startAtLogin;
    if (on === startAtLogin) return;
    startAtLogin = on;
    void applyStartAtLogin(on, loginItem).catch((error: Error) => stderrLogger.error(`start at login: ${error.message}`));
  };
  followStartAtLogin();
  agent.subscribe((event) => event.type === 'activity' && event.entry.kind === 'settings' && followStartAtLogin());

  const off = updatesOff({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, exists: existsSync });
  if (off) stderrLogger.info(`updates: off (${off})`);
  else {
    const every = (ms: number, fn: () => void) => {
      const timer = setInterval(fn, ms).unref();
      return () => clearInterval(timer);
    };
    startUpdates(autoUpdater, {
      logger: stderrLogger,
      every,
      onReady: (version) => {
        trayView.setUpdate(version);
        if (agent.settings().notifications.includes('update')) show(updateTell(version));
      },
    });
  }
  if (!startedHidden(process.argv, process.platform, app)) showWindow();
}

// Before 'ready': app:// must be privileged before any page loads.
protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES);
// Windows shows notifications only for an app id that matches its Start menu shortcut (electron-builder's appId).
if (process.platform === 'win32') app.setAppUserModelId('network.synor.contributor');
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  // macOS: a click on the Dock icon.
  app.on('activate', showWindow);
  app.on('web-contents-created', (_event, contents) =>
    hardenContents(contents, (url) => {
      // Checked again here, beside the call, so no other path can hand shell.openExternal an unchecked URL.
      if (isAllowedExternal(url)) void shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK: only https pages of the project's own sites (isAllowedExternal)
    }),
  );
  // Keep running in the tray when the window is closed.
  app.on('window-all-closed', () => undefined);
  process.on('SIGTERM', () => app.quit());
  void app
    .whenReady()
    .then(run)
    .catch((error: Error) => {
      stderrLogger.error(`the app could not start: ${error.stack ?? error.message}`);
      app.exit(1);
    });
}
