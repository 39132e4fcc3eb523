/** Electron entry: the only place that wires real Electron objects to the agent. */
import { app, BrowserWindow, ipcMain, Menu, nativeImage, powerMonitor, safeStorage, session, shell, Tray } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentState } from '../common/state.js';
import { createAgent, type Agent } from '../core/agent.js';
import { stderrLogger, systemClock } from '../core/node-ports.js';
import { createDefaultProbe } from '../core/hardware/default-probe.js';
import { nodeSystemPorts } from '../core/monitor/node-sources.js';
import { appPaths } from '../core/paths.js';
import { electronIdle, electronPower, electronSession } from './adapters.js';
import { SafeStorageStore } from './secret-store.js';
import { forwardEvents, serveIpc, trustedFrame } from './ipc.js';
import { trayIconBitmap, trayMenu, trayTooltip } from './tray.js';
import { hardenContents, hardenSession, windowOptions } from './window.js';

const TRAY_ICON_SIZE = 32;
// Built layout: dist/main/electron.cjs, dist/preload/index.cjs, dist/renderer/index.html.
const indexHtml = join(__dirname, '..', 'renderer', 'index.html');
const appUrl = pathToFileURL(indexHtml).href;

let window: BrowserWindow | undefined;
let tray: Tray | undefined;
let quitting = false;

function showWindow(): void {
  if (!window) {
    const win = new BrowserWindow(windowOptions(join(__dirname, '..', 'preload', 'index.cjs')));
    win.once('ready-to-show', () => win.show());
    // Close-to-tray: sharing goes on until the user quits from the tray.
    win.on('close', (event) => {
      if (!quitting) {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => (window = undefined));
    void win.loadFile(indexHtml);
    window = win;
  } else {
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }
}

function updateTray(agent: Agent, state: AgentState): void {
  const icon = nativeImage.createFromBitmap(trayIconBitmap(state.status.code, TRAY_ICON_SIZE), {
    width: TRAY_ICON_SIZE,
    height: TRAY_ICON_SIZE,
  });
  tray ??= new Tray(icon);
  tray.setImage(icon);
  tray.setToolTip(trayTooltip(state));
  const actions = {
    setShare: (on: boolean) => void agent.call({ cmd: 'setShare', args: { on } }),
    show: showWindow,
    quit: () => app.quit(),
  };
  tray.setContextMenu(Menu.buildFromTemplate(trayMenu(state, actions)));
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, (url) => void shell.openExternal(url)));
  app.on('before-quit', () => (quitting = true));
  // Keep running in the tray when the window is closed.
  app.on('window-all-closed', () => undefined);
  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession);
    const os = nodeSystemPorts(process.platform, process.env);
    const paths = appPaths(process.platform, process.env, app.getPath('home'));
    const agent = await createAgent({
      ports: {
        // The packaged app cannot find its own folder from the bundle's path alone.
        hardware: createDefaultProbe({ root: app.getAppPath() }),
        secrets: new SafeStorageStore(safeStorage, join(paths.dataDir, 'wallet', 'secrets')),
        clock: systemClock,
        logger: stderrLogger,
        idle: electronIdle(powerMonitor, os.idle),
        power: electronPower(powerMonitor, os.power),
        session: electronSession(powerMonitor),
        system: os.system,
      },
      paths,
      mode: 'electron',
      version: app.getVersion(),
    });
    serveIpc(ipcMain, agent, trustedFrame(appUrl));
    forwardEvents(agent, () => window?.webContents);
    // Start with the computer, in the tray: "install, toggle, forget".
    const startup = (): void => app.setLoginItemSettings({ openAtLogin: agent.settings().startAtLogin, args: ['--hidden'] });
    startup();
    agent.subscribe((event) => event.type === 'activity' && event.entry.kind === 'settings' && startup());
    // State arrives every second while sharing; the tray changes only when what it shows does.
    let shown = '';
    agent.subscribe((event) => {
      if (event.type !== 'state') return;
      const key = `${event.state.sharing}|${event.state.status.code}|${event.state.status.reason}`;
      if (key !== shown) updateTray(agent, event.state);
      shown = key;
    });
    updateTray(agent, agent.state());
    if (!process.argv.includes('--hidden')) showWindow();
  });
}
