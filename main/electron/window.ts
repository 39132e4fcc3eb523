import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

/**
 * The one window. Built here with its options written out in place, where a scanner (electronegativity) can read
 * them; receives the BrowserWindow class so tests can pass a fake.
 */
export function createWindow<W>(BrowserWindow: new (options: BrowserWindowConstructorOptions) => W, preload: string, icon?: string): W {
  return new BrowserWindow({
    width: 1120,
    height: 780,
    minWidth: 760,
    minHeight: 560,
    show: false,
    title: 'Synor Contributor',
    autoHideMenuBar: true,
    ...(icon ? { icon } : {}),
    webPreferences: {
      preload, // eng-disable PRELOAD_JS_CHECK: the preload (main/preload/index.ts) exposes only call and onEvent, never ipcRenderer
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // A middle click would open a link in a new window; new windows are denied anyway, this stops the attempt.
      disableBlinkFeatures: 'Auxclick',
    },
  });
}

/** The project's own sites: the only pages a link in the app may open in the user's browser. */
const EXTERNAL_HOSTS = new Set(['synor.network', 'www.synor.network', 'docs.synor.network']);

export function isAllowedExternal(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      parsed.protocol === 'https:' &&
      parsed.username === '' &&
      parsed.password === '' &&
      parsed.port === '' &&
      EXTERNAL_HOSTS.has(parsed.hostname)
    );
  } catch {
    return false;
  }
}

/** The app is one page: it never navigates, never opens windows, never embeds webviews. */
export function hardenContents(contents: WebContents, openExternal: (url: string) => void): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to the project's sites open in the user's browser, never inside the app; anything else nowhere.
    if (isAllowedExternal(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** Camera, microphone, notifications, geolocation, …: the UI needs none of them. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
