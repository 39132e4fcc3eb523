/**
 * The renderer's one way to reach the agent: the Electron bridge when the preload provided it,
 * otherwise the headless HTTP + WebSocket API on the same origin, authorised by the per-run token.
 */
import type { AgentEvent } from '../../../main/common/state.js';
import { failure, parseEvent, parseReply, type Connection } from './parse.js';
import { t } from '../i18n/en.js';
import { HTTP_RPC_PATH, WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX, type AgentBridge } from '../../../main/common/wire.js';

declare global {
  interface Window {
    agent?: AgentBridge;
  }
}

export type { Connection } from './parse.js';

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
      let data: unknown;
      try {
        data = JSON.parse(String(message.data));
      } catch {
        return;
      }
      const event = parseEvent(data);
      if (event) for (const listener of eventListeners) listener(event);
    };
    socket.onclose = () => {
      // A refused WebSocket looks like any closed one: ask over HTTP whether the token is the problem.
      void call('getState', {}).then((result) => {
        if (!result.ok && result.error.code === 'UNAUTHORIZED') return connectionListener('bad-token');
        connectionListener('lost');
        setTimeout(connect, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
      });
    };
  };

  const call: AgentBridge['call'] = async (cmd, args) => {
    let response: Response;
    try {
      response = await fetch(HTTP_RPC_PATH, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ cmd, args }),
      });
    } catch {
      return failure('UNAVAILABLE', t.errors.unreachable);
    }
    const reply: unknown = await response.json().catch(() => null);
    return parseReply(cmd, reply);
  };

  return {
    call,
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
  return {
    call: async () => failure('UNAUTHORIZED', t.connection['no-token']),
    onEvent: () => () => undefined,
    onConnection: (listener) => listener('no-token'),
  };
}

export function createClient(): AgentClient {
  const bridge = window.agent;
  if (bridge) {
    return {
      call: async (cmd, args) => parseReply(cmd, await bridge.call(cmd, args)),
      onEvent: (listener) =>
        bridge.onEvent((data) => {
          const event = parseEvent(data);
          if (event) listener(event);
        }),
      onConnection: (listener) => listener('connected'),
    };
  }
  const token = takeToken();
  return token ? httpClient(token) : tokenlessClient();
}
