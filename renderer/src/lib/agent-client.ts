/**
 * The renderer's one way to reach the agent: the Electron bridge when the preload provided it,
 * otherwise the headless HTTP + WebSocket API on the same origin, authorised by the per-run token.
 */
import type { AgentError } from '../../../main/common/result';
import type { AgentEvent } from '../../../main/common/state';
import { HTTP_RPC_PATH, WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX, type AgentBridge } from '../../../main/common/wire';

declare global {
  interface Window {
    agent?: AgentBridge;
  }
}

export type Connection = 'connecting' | 'connected' | 'lost' | 'no-token';

export interface AgentClient extends AgentBridge {
  onConnection(listener: (connection: Connection) => void): void;
}

const TOKEN_KEY = 'synor-agent-token';
const RETRY_MS = [250, 500, 1000, 2000, 5000];

/** Takes the token from the link's fragment once, keeps it for this tab, and removes it from the address bar. */
function takeToken(): string | null {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const unreachable = (message: string): { ok: false; error: AgentError } => ({
  ok: false,
  error: { code: 'INTERNAL', message },
});

function httpClient(token: string): AgentClient {
  const eventListeners = new Set<(event: AgentEvent) => void>();
  let connectionListener: (connection: Connection) => void = () => undefined;
  let attempt = 0;

  const connect = (): void => {
    const socket = new WebSocket(`ws://${location.host}${WS_PATH}`, [WS_PROTOCOL, WS_TOKEN_PREFIX + token]);
    socket.onopen = () => {
      attempt = 0;
      connectionListener('connected');
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as AgentEvent;
      for (const listener of eventListeners) listener(event);
    };
    socket.onclose = () => {
      connectionListener('lost');
      setTimeout(connect, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
    };
  };

  return {
    async call(cmd, args) {
      try {
        const response = await fetch(HTTP_RPC_PATH, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify({ cmd, args }),
        });
        return await response.json();
      } catch (error) {
        return unreachable(`The agent is not reachable (${(error as Error).message}). Is it still running?`);
      }
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onConnection(listener) {
      connectionListener = listener;
      connect();
    },
  };
}

/** Without a token there is nothing to talk to; the UI explains how to get one. */
function tokenlessClient(): AgentClient {
  const message = 'Open the link the agent printed when it started: it carries the access token.';
  return {
    call: async () => ({ ok: false, error: { code: 'UNAUTHORIZED', message } }),
    onEvent: () => () => undefined,
    onConnection: (listener) => listener('no-token'),
  };
}

export function createClient(): AgentClient {
  const bridge = window.agent;
  if (bridge) return { ...bridge, onConnection: (listener) => listener('connected') };
  const token = takeToken();
  return token ? httpClient(token) : tokenlessClient();
}
