// The Electron-only modules, driven through fakes of the Electron objects they receive (no binary here).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { BrowserWindowConstructorOptions, IpcMain, IpcMainInvokeEvent, Session, WebContents, WebFrameMain } from 'electron';
import type { Result } from '../../main/common/result.js';
import { IPC_CALL, IPC_EVENT } from '../../main/common/wire.js';
import { forwardEvents, serveIpc, trustedFrame } from '../../main/electron/ipc.js';
import { createWindow, hardenContents, hardenSession } from '../../main/electron/window.js';
import { APP_URL } from '../../main/electron/protocol.js';
import { testAgent } from '../helpers/agent.js';

async function ipcHarness() {
  const { agent } = await testAgent();
  let handler: ((event: IpcMainInvokeEvent, request: unknown) => Promise<Result<unknown>> | Result<unknown>) | undefined;
  const ipcMain = {
    handle: (channel: string, listener: typeof handler) => {
      assert.equal(channel, IPC_CALL);
      handler = listener;
    },
  } as unknown as Pick<IpcMain, 'handle'>;
  serveIpc(ipcMain, agent, trustedFrame(APP_URL));
  const invoke = (frame: Partial<WebFrameMain> | null, request: unknown) =>
    Promise.resolve(handler!({ senderFrame: frame } as IpcMainInvokeEvent, request));
  return { agent, invoke };
}

test('IPC from the app page reaches the agent', { timeout: 120_000 }, async () => {
  const { invoke } = await ipcHarness();
  const result = await invoke({ url: `${APP_URL}#settings`, parent: null }, { cmd: 'setShare', args: { on: true } });
  assert.ok(result.ok);
});

test('IPC from an iframe, another page or a destroyed frame is refused', { timeout: 120_000 }, async () => {
  const { invoke, agent } = await ipcHarness();
  const top = { url: APP_URL, parent: null } as unknown as WebFrameMain;
  for (const frame of [
    { url: APP_URL, parent: top },
    { url: 'https://evil.example/', parent: null },
    { url: 'file:///opt/synor/resources/app/dist/renderer/index.html', parent: null },
    null,
  ]) {
    const result = await invoke(frame, { cmd: 'setShare', args: { on: true } });
    assert.ok(!result.ok && result.error.code === 'FORBIDDEN');
  }
  assert.equal(agent.state().sharing, false);
});

test('IPC payloads go through the same schemas as HTTP', { timeout: 120_000 }, async () => {
  const { invoke } = await ipcHarness();
  const result = await invoke({ url: APP_URL, parent: null }, { cmd: 'setShare', args: { on: 'yes' } });
  assert.ok(!result.ok && result.error.code === 'VALIDATION' && result.error.fields?.['on']);
});

test('agent events are pushed to the window, and skipped once it is destroyed', { timeout: 120_000 }, async () => {
  const { agent } = await testAgent();
  const sent: [string, unknown][] = [];
  let destroyed = false;
  const contents = { send: (channel: string, event: unknown) => sent.push([channel, event]), isDestroyed: () => destroyed };
  forwardEvents(agent, () => contents);
  await agent.call({ cmd: 'setShare', args: { on: true } });
  assert.ok(sent.length > 0 && sent.every(([channel]) => channel === IPC_EVENT));
  const count = sent.length;
  destroyed = true;
  await agent.call({ cmd: 'setShare', args: { on: false } });
  assert.equal(sent.length, count);
});

test('the window is isolated and sandboxed, with no Node in the page', { timeout: 120_000 }, () => {
  class FakeWindow {
    constructor(readonly options: BrowserWindowConstructorOptions) {}
  }
  const prefs = createWindow(FakeWindow, '/p/preload.cjs').options.webPreferences!;
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.preload, '/p/preload.cjs');
});

test(
  "navigation, redirects, webviews and new windows are denied; only links to the project's sites go to the browser",
  { timeout: 120_000 },
  () => {
    type OpenHandler = (details: { url: string }) => { action: string };
    let windowOpen: OpenHandler | undefined;
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: (h: OpenHandler) => (windowOpen = h) });
    const opened: string[] = [];
    hardenContents(contents as unknown as WebContents, (url) => opened.push(url));
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      let prevented = false;
      contents.emit(name, { preventDefault: () => (prevented = true) }, 'https://evil.example/');
      assert.ok(prevented, name);
    }
    const urls = [
      'https://docs.synor.network/help',
      'file:///etc/passwd',
      'https://evil.example/',
      'http://docs.synor.network/',
      'https://docs.synor.network.evil.example/',
      'https://user@docs.synor.network/',
      'https://docs.synor.network:8443/',
      'not a url',
    ];
    for (const url of urls) assert.deepEqual(windowOpen!({ url }), { action: 'deny' });
    assert.deepEqual(opened, ['https://docs.synor.network/help']);
  },
);

test('every permission request and check is refused', { timeout: 120_000 }, () => {
  let request: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | undefined;
  let check: (() => boolean) | undefined;
  hardenSession({
    setPermissionRequestHandler: (h: typeof request) => (request = h),
    setPermissionCheckHandler: (h: typeof check) => (check = h),
  } as unknown as Session);
  for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read']) {
    let granted: boolean | undefined;
    request!(null, permission, (g) => (granted = g));
    assert.equal(granted, false);
  }
  assert.equal(check!(), false);
});
