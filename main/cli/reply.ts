import type { CommandArgs, CommandName, CommandResult } from '../common/contract.js';
import { callAgent, findAgent, type Outcome } from './api.js';

/** How every command answers: its exit code, its text and its JSON, from the agent's outcome. */

/** What each exit code means (README, "The synor command"): scripts branch on these. */
export const EXIT = { ok: 0, refused: 1, usage: 2, notRunning: 3 } as const;

/** What a command prints: `json` for --json, `text` otherwise; `exit` other than 0 sends the text to stderr. */
export interface Reply {
  exit: number;
  text: string;
  json?: unknown;
}

export interface Context {
  dataDir: string;
  now: number;
  /** --all: every member of the fleet (synor fleet). */
  all: boolean;
}

export const usage = (text: string): Reply => ({ exit: EXIT.usage, text: `${text}\nRun \`synor help\` for the commands.` });

export async function ask<C extends CommandName>(ctx: Context, cmd: C, args: CommandArgs<C>): Promise<Outcome<CommandResult<C>>> {
  const api = await findAgent(ctx.dataDir);
  return api.kind === 'ok' ? callAgent(api.value, cmd, args) : api;
}

/** An outcome as printed: the value by `show`, a refusal with what was wrong per field, no agent as exit 3. */
export function reply<T>(outcome: Outcome<T>, show: (value: T) => string): Reply {
  if (outcome.kind === 'ok') return { exit: EXIT.ok, text: show(outcome.value), json: outcome.value };
  if (outcome.kind === 'unreachable') return { exit: EXIT.notRunning, text: outcome.message };
  const { error } = outcome;
  // The agent's sentence for invalid values names its command; the fields say it all.
  const fields = Object.entries(error.fields ?? {}).map(([field, problem]) => `\n  ${field}: ${problem}`);
  const said = error.code === 'VALIDATION' && fields.length > 0 ? 'Nothing was saved: some values are not valid.' : error.message;
  return { exit: EXIT.refused, text: `${said}${fields.join('')}`, json: { error } };
}
