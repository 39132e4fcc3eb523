import type { Settings, SettingsPatch } from '../common/settings.js';
import { rotateLocalToken } from '../core/server/local-address.js';
import { findAgent, rotateToken } from './api.js';
import { parseDuration } from './duration.js';
import { fleet } from './fleet.js';
import { ask, EXIT, reply, usage, type Context, type Reply } from './reply.js';
import { showDevices, showEarnings, showSettings, showState, showValue } from './show.js';

const status = async (_: string[], ctx: Context): Promise<Reply> => reply(await ask(ctx, 'getState', {}), showState);

async function share([onOff, ...rest]: string[], ctx: Context): Promise<Reply> {
  if ((onOff !== 'on' && onOff !== 'off') || rest.length > 0) return usage('Say `synor share on` or `synor share off`.');
  return reply(await ask(ctx, 'setShare', { on: onOff === 'on' }), (state) => `Sharing is ${onOff}.\n${showState(state)}`);
}

/** Pausing is the settings' "pause until" (the page's own pause): it holds across restarts and ends by itself. */
async function pause([what, ...rest]: string[], ctx: Context): Promise<Reply> {
  const ms = what === 'off' ? null : parseDuration(what ?? '');
  if (ms === undefined || rest.length > 0)
    return usage('Say how long, as in `synor pause 90m`, `synor pause 2h30m` or `synor pause 1d`; `synor pause off` resumes.');
  const pausedUntil = ms === null ? null : ctx.now + ms;
  return reply(await ask(ctx, 'updateSettings', { pausedUntil }), () =>
    pausedUntil === null
      ? 'The pause is over: sharing follows its settings again.'
      : `Paused until ${new Date(pausedUntil).toLocaleString()}.`,
  );
}

/** `a.b.c` in `settings`, or undefined where there is no such setting. */
const at = (settings: unknown, path: string[]): unknown =>
  path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? Reflect.get(node, key) : undefined),
    settings,
  );

/** `key=value`: the value as JSON where it reads as JSON (numbers, true, null, lists), else as the text given. */
function parsePair(pair: string): [string[], unknown] | undefined {
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const raw = pair.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return [pair.slice(0, eq).split('.'), value];
}

/**
 * Nested groups are replaced whole by a patch (common/settings.ts), so a dotted key changes its copy of the group.
 * Every path was checked against the current settings first, and the agent parses the patch with its schema.
 */
/* eslint-disable @typescript-eslint/consistent-type-assertions, @typescript-eslint/no-non-null-assertion -- each path names a setting (checked by the caller), so its parent is a group */
function patchFor(current: Settings, pairs: [string[], unknown][]): SettingsPatch {
  const patch: Record<string, unknown> = {};
  for (const [path, value] of pairs) {
    const [top, ...inner] = path as [keyof Settings, ...string[]];
    if (inner.length === 0) {
      patch[top] = value;
      continue;
    }
    const group = (patch[top] ??= structuredClone(current[top])) as Record<string, unknown>;
    const parent = at(group, inner.slice(0, -1)) as Record<string, unknown>;
    parent[inner.at(-1)!] = value;
  }
  return patch as SettingsPatch;
}
/* eslint-enable @typescript-eslint/consistent-type-assertions, @typescript-eslint/no-non-null-assertion -- patchFor ends here */

const unknownSetting = (key: string): Reply => usage(`There is no setting called "${key}". \`synor settings get\` lists them.`);

async function settings([verb, ...rest]: string[], ctx: Context): Promise<Reply> {
  if (verb !== 'get' && verb !== 'set') return usage('Say `synor settings get [key]` or `synor settings set key=value`.');
  const current = await ask(ctx, 'getSettings', {});
  if (current.kind !== 'ok') return reply(current, () => '');
  if (verb === 'get') {
    if (rest.length > 1) return usage('Say `synor settings get` for every setting, or `synor settings get key` for one.');
    const [key] = rest;
    if (key === undefined) return reply(current, (all) => showSettings(all));
    const value = at(current.value, key.split('.'));
    return value === undefined ? unknownSetting(key) : { exit: EXIT.ok, text: showValue(value), json: value };
  }
  const pairs = rest.map(parsePair);
  if (pairs.length === 0 || pairs.some((pair) => pair === undefined))
    return usage('Say `synor settings set key=value`, as in `synor settings set cpuSharePercent=40`.');
  const parsed = pairs.filter((pair) => pair !== undefined);
  // A key that is not there may still be a new entry of a map (gpus.<id>): its group must exist.
  const known = (path: string[]): boolean => {
    const parent = at(current.value, path.slice(0, -1));
    return at(current.value, path) !== undefined || (path.length > 1 && parent !== null && typeof parent === 'object');
  };
  const missing = parsed.find(([path]) => !known(path));
  if (missing) return unknownSetting(missing[0].join('.'));
  return reply(await ask(ctx, 'updateSettings', patchFor(current.value, parsed)), () =>
    parsed.map(([path, value]) => `Saved: ${path.join('.')} = ${showValue(value)}`).join('\n'),
  );
}

/** The network in use's earnings only, as the Earnings page shows them: another network's are never added to them. */
async function earnings(_: string[], ctx: Context): Promise<Reply> {
  const state = await ask(ctx, 'getState', {});
  if (state.kind !== 'ok') return reply(state, () => '');
  const current = state.value.work.networks?.find((network) => network.current);
  const where = state.value.work.network;
  const summary = await ask(ctx, 'getEarnings', current ? { network: current.key } : {});
  return reply(summary, (value) => (where ? `Network: ${where.label}\n` : '') + showEarnings(value));
}

const devices = async (_: string[], ctx: Context): Promise<Reply> => reply(await ask(ctx, 'getHardware', {}), showDevices);

/** A running agent takes its new token at once; a stopped one finds it in the data folder at its next start. */
async function token([verb, ...rest]: string[], ctx: Context): Promise<Reply> {
  if (verb !== 'rotate' || rest.length > 0) return usage('Say `synor token rotate`.');
  const api = await findAgent(ctx.dataDir);
  const rotated = api.kind === 'ok' ? await rotateToken(api.value) : api;
  if (rotated.kind !== 'unreachable') {
    return reply(rotated, ({ url }) => `A new token is in use. Old links and scripts holding the old one no longer work. Open:\n  ${url}`);
  }
  await rotateLocalToken(ctx.dataDir, ctx.now);
  return {
    exit: EXIT.ok,
    text: `The agent is not running: a new token is saved in ${ctx.dataDir} and will be used from its next start, which prints the new link.`,
    json: { url: null },
  };
}

export const COMMANDS: Record<string, (args: string[], ctx: Context) => Promise<Reply>> = {
  status,
  share,
  pause,
  settings,
  earnings,
  devices,
  token,
  fleet,
};
