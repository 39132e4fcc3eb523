/** Parsing what the agent sends, with the contract's own schemas (no DOM here, so it is unit-tested on Node). */
import { commands, type CommandName, type CommandResult } from '../../../main/common/contract.js';
import { fieldOf } from '../../../main/common/keys.js';
import { AgentErrorSchema, type AgentError, type Result } from '../../../main/common/result.js';
import { AgentEventSchema, type AgentEvent } from '../../../main/common/state.js';

/** 'bad-token': the agent answered, but refused this tab's token (an old link from an earlier run). */
export type Connection = 'connecting' | 'connected' | 'lost' | 'no-token' | 'bad-token';

export const failure = (code: AgentError['code'], message: string): { ok: false; error: AgentError } => ({
  ok: false,
  error: { code, message },
});

/**
 * Every reply is parsed with the contract's schemas, as the agent parses what it receives: a reply of the wrong
 * shape (a different agent version) becomes an error the page can show, never a half-read object.
 */
export function parseReply<C extends CommandName>(cmd: C, reply: unknown): Result<CommandResult<C>> {
  if (fieldOf(reply, 'ok') === false) {
    const error = AgentErrorSchema.safeParse(fieldOf(reply, 'error'));
    return error.success
      ? { ok: false, error: error.data }
      : failure('INTERNAL', 'The agent answered with an error this page cannot read.');
  }
  const value = commands[cmd].result.safeParse(fieldOf(reply, 'value'));
  return value.success
    ? // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- parsed by the schema of `cmd` itself; TypeScript cannot tie an indexed schema's output back to C
      { ok: true, value: value.data as CommandResult<C> }
    : failure(
        'INTERNAL',
        'The agent answered in a form this page does not understand. Reload the page; if it stays, the app and the agent are different versions.',
      );
}

/** Events are parsed the same way; one that does not parse is dropped (the next state event replaces it). */
export function parseEvent(data: unknown): AgentEvent | null {
  const parsed = AgentEventSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}
