/** Transport constants and the bridge type, with no runtime dependencies so the renderer bundle stays small. */
import type { CommandArgs, CommandName, CommandResult } from './contract.js';
import type { Result } from './result.js';
import type { AgentEvent } from './state.js';

/** What the preload exposes as `window.agent` and what the renderer's HTTP client implements. */
export interface AgentBridge {
  call<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<Result<CommandResult<C>>>;
  onEvent(listener: (event: AgentEvent) => void): () => void;
}

/** IPC channel names, shared by preload and the IPC server. */
export const IPC_CALL = 'agent:call';
export const IPC_EVENT = 'agent:event';

/** Headless HTTP API. */
export const HTTP_RPC_PATH = '/api/rpc';
export const WS_PATH = '/api/events';
/** Browsers cannot set headers on a WebSocket, so the token rides in the subprotocol list (as Kubernetes does). */
export const WS_PROTOCOL = 'synor-agent.v1';
export const WS_TOKEN_PREFIX = 'token.';
