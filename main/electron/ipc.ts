import type { IpcMain, WebContents, WebFrameMain } from 'electron';
import { IPC_CALL, IPC_EVENT } from '../common/wire.js';
import { fail } from '../common/result.js';
import type { Agent } from '../core/agent.js';
import { pacedEvents } from '../core/paced-events.js';

/** Only the app's own top-level page may talk to the agent: not an iframe, not a page it was tricked into loading. */
export const trustedFrame =
  (appUrl: string) =>
  (frame: Pick<WebFrameMain, 'url' | 'parent'> | null): boolean =>
    frame !== null && frame.parent === null && frame.url.split('#')[0] === appUrl;

export function serveIpc(ipcMain: Pick<IpcMain, 'handle'>, agent: Agent, isTrusted: (frame: WebFrameMain | null) => boolean): void {
  // The payload is parsed inside agent.call with the same zod schemas as over HTTP.
  ipcMain.handle(IPC_CALL, (event, request: unknown) =>
    isTrusted(event.senderFrame) ? agent.call(request) : fail('FORBIDDEN', 'This page may not talk to the agent.'),
  );
}

/** Pushes the agent's events to the window while it exists, the state paced as for any page (core/paced-events.ts). */
export const forwardEvents = (agent: Agent, target: () => Pick<WebContents, 'send' | 'isDestroyed'> | undefined) =>
  agent.subscribe(
    pacedEvents((event) => {
      const contents = target();
      if (contents && !contents.isDestroyed()) contents.send(IPC_EVENT, event);
    }).send,
  );
