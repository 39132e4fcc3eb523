import type { z } from 'zod';
import { commands, type CommandArgs, type CommandName, type CommandResult } from '../common/contract.js';
import { fieldOf } from '../common/keys.js';
import { HTTP_TOKEN_ROTATE_PATH, TokenRotatedSchema, type TokenRotated } from '../common/local-api.js';
import { AgentErrorSchema, type AgentError } from '../common/result.js';
import { HTTP_RPC_PATH } from '../common/wire.js';
import { readLocalAddress } from '../core/server/local-address.js';

/** How a call to the agent ended: its value, its refusal (a coded error), or no agent to ask. */
export type Outcome<T> = { kind: 'ok'; value: T } | { kind: 'refused'; error: AgentError } | { kind: 'unreachable'; message: string };

export interface LocalApi {
  origin: string;
  token: string;
}

/** A local agent answers in milliseconds; one that takes this long is stuck, and a script should not wait on it. */
const TIMEOUT_MS = 15_000;

const NOT_RUNNING = 'Synor Contributor is not running in headless mode. Start it with `npm run headless` and try again.';

/** The agent's kept address in the data folder, or why there is none to call. */
export async function findAgent(dataDir: string): Promise<Outcome<LocalApi>> {
  const kept = await readLocalAddress(dataDir).catch(() => 'unusable' as const);
  if (kept === undefined) return { kind: 'unreachable', message: NOT_RUNNING };
  if (kept === 'unusable') {
    return { kind: 'unreachable', message: `The saved link in ${dataDir} cannot be read. Start the agent: it makes a new one.` };
  }
  if (kept.port === undefined) {
    return { kind: 'unreachable', message: `${NOT_RUNNING} (An agent started with --port 0 has no kept address to find.)` };
  }
  return { kind: 'ok', value: { origin: `http://127.0.0.1:${kept.port}`, token: kept.token } };
}

/** One POST, its reply parsed once: the agent's Result, with `schema` for its value. */
async function post<T>(api: LocalApi, path: string, body: unknown, schema: z.ZodType<T>): Promise<Outcome<T>> {
  let reply: unknown;
  try {
    const response = await fetch(`${api.origin}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${api.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    reply = await response.json().catch(() => undefined);
  } catch (error) {
    const timedOut = fieldOf(error, 'name') === 'TimeoutError';
    return {
      kind: 'unreachable',
      message: timedOut ? 'The agent did not answer in time. Check that it is not stuck, then try again.' : NOT_RUNNING,
    };
  }
  if (fieldOf(reply, 'ok') === false) {
    const error = AgentErrorSchema.safeParse(fieldOf(reply, 'error'));
    if (!error.success) return unreadable;
    if (error.data.code !== 'UNAUTHORIZED') return { kind: 'refused', error: error.data };
    // The kept token no longer opens the agent: a rotation by hand, or another agent on the kept port.
    return {
      kind: 'refused',
      error: { code: 'UNAUTHORIZED', message: 'The agent refused the saved token. Restart the agent, then try again.' },
    };
  }
  const value = schema.safeParse(fieldOf(reply, 'value'));
  return value.success ? { kind: 'ok', value: value.data } : unreadable;
}

const unreadable: Outcome<never> = {
  kind: 'refused',
  error: {
    code: 'INTERNAL',
    message: 'The agent answered in a form this command does not understand: the command and the agent are different versions.',
  },
};

export const callAgent = <C extends CommandName>(api: LocalApi, cmd: C, args: CommandArgs<C>): Promise<Outcome<CommandResult<C>>> =>
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the schema of `cmd` itself; TypeScript cannot tie an indexed schema's output back to C
  post(api, HTTP_RPC_PATH, { cmd, args }, commands[cmd].result as unknown as z.ZodType<CommandResult<C>>);

export const rotateToken = (api: LocalApi): Promise<Outcome<TokenRotated>> => post(api, HTTP_TOKEN_ROTATE_PATH, {}, TokenRotatedSchema);
