import type { FleetCommand, FleetStatus } from '../common/fleet.js';
import { fieldOf } from '../common/keys.js';
import { parseDuration } from './duration.js';
import { ask, EXIT, reply, usage, type Context, type Reply } from './reply.js';
import { showCommandResults, showMember, showOffer, showFleet } from './show-fleet.js';

/** `synor fleet …`: the machines paired with this one (docs/fleet.md), listed, paired, revoked and commanded. */

const HOW =
  'Say `synor fleet list`, `pair`, `join <address> <code>`, `revoke <id>`, `share on|off <ids|--all>` or `pause <duration>|off <ids|--all>`.';

/** A machine named by its id, the start of it (8 characters or more), or its name when that is unique. */
function pick(status: FleetStatus, named: string): { id: string } | { problem: string } {
  const matches = status.peers.filter(
    (peer) => peer.id === named || (named.length >= 8 && peer.id.startsWith(named)) || peer.name === named,
  );
  const [only] = matches;
  if (matches.length === 1 && only) return { id: only.id };
  return {
    problem:
      matches.length === 0
        ? `No paired machine is called "${named}". \`synor fleet list\` shows each one's name and id.`
        : `"${named}" names ${matches.length} machines: give more of the id.`,
  };
}

/** The ids the words name, or the usage error that says why not. */
async function targets(words: string[], ctx: Context): Promise<{ ids: string[] | 'all' } | { done: Reply }> {
  if (ctx.all) return words.length === 0 ? { ids: 'all' } : { done: usage('Give either machine ids or --all, not both.') };
  if (words.length === 0) return { done: usage('Say which machines: their ids or names (`synor fleet list`), or --all.') };
  const status = await ask(ctx, 'fleetStatus', {});
  if (status.kind !== 'ok') return { done: reply(status, () => '') };
  const ids: string[] = [];
  for (const word of words) {
    const found = pick(status.value, word);
    if ('problem' in found) return { done: usage(found.problem) };
    ids.push(found.id);
  }
  return { ids };
}

async function send(command: FleetCommand, words: string[], ctx: Context): Promise<Reply> {
  const chosen = await targets(words, ctx);
  if ('done' in chosen) return chosen.done;
  const sent = reply(await ask(ctx, 'fleetCommand', { ids: chosen.ids, command }), showCommandResults);
  // One machine that did not take it makes the whole command a refusal for a script; the lines say which.
  const results = fieldOf(sent.json, 'results');
  return sent.exit === EXIT.ok && Array.isArray(results) && results.some((result) => !fieldOf(result, 'ok'))
    ? { ...sent, exit: EXIT.refused }
    : sent;
}

async function revoke(words: string[], ctx: Context): Promise<Reply> {
  const [named] = words;
  if (words.length !== 1 || named === undefined) return usage('Say `synor fleet revoke <id>` (`synor fleet list` shows the ids).');
  const status = await ask(ctx, 'fleetStatus', {});
  if (status.kind !== 'ok') return reply(status, () => '');
  const found = pick(status.value, named);
  if ('problem' in found) return usage(found.problem);
  return reply(await ask(ctx, 'fleetRevoke', { id: found.id }), showMember);
}

export async function fleet([verb, ...rest]: string[], ctx: Context): Promise<Reply> {
  switch (verb) {
    case 'list':
      return rest.length > 0 ? usage('Say `synor fleet list`.') : reply(await ask(ctx, 'fleetStatus', {}), showFleet);
    case 'pair':
      return rest.length > 0 ? usage('Say `synor fleet pair`.') : reply(await ask(ctx, 'fleetPair', {}), showOffer);
    case 'join': {
      const [address, ...code] = rest;
      if (address === undefined || code.length === 0)
        return usage('Say `synor fleet join <address> <code>`, as shown by `synor fleet pair` on the other machine.');
      return reply(await ask(ctx, 'fleetJoin', { address, code: code.join('') }), showMember);
    }
    case 'revoke':
      return revoke(rest, ctx);
    case 'share': {
      const [onOff, ...words] = rest;
      if (onOff !== 'on' && onOff !== 'off') return usage('Say `synor fleet share on|off <ids|--all>`.');
      return send({ type: 'share', on: onOff === 'on' }, words, ctx);
    }
    case 'pause': {
      const [how, ...words] = rest;
      const ms = how === 'off' ? 0 : parseDuration(how ?? '');
      if (ms === undefined) return usage('Say how long, as in `synor fleet pause 2h --all`; `synor fleet pause off --all` resumes.');
      return send({ type: 'pause', ms }, words, ctx);
    }
    case undefined:
    default:
      return usage(HOW);
  }
}
