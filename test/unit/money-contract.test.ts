// Every amount the agent sends is integer wei (issue 31 item 4): each money field of every agent reply, every pushed
// event and every fleet message is a string schema that takes wei and refuses a decimal, so no end ever has to turn
// SYNOR decimals back into wei. The fields are found by walking the contract's zod schemas, not listed by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { commands } from '../../main/common/contract.js';
import { ReplySchema } from '../../main/common/fleet.js';
import { AgentEventSchema } from '../../main/common/state.js';

const T = { timeout: 60_000 };

/** A field holds money by its name, or by its parent's (a range of wei: `perHourWei.low`); prices in dollars do not. */
const MONEY = /wei|amount|claimable|synor|native|^earned$|^confirmed$|^pending$/i;
const NOT_MONEY = /usd/i;
const isMoney = (key: string, parent: string): boolean => (MONEY.test(key) && !NOT_MONEY.test(key)) || /wei$/i.test(parent);

type Schema = z.core.$ZodType;
interface Leaf {
  path: string;
  schema: Schema;
}

/** Every field under `schema`, with its path ("total.confirmedWei", "bars[].pendingWei"). */
function leaves(schema: Schema, path: string[], out: Leaf[], seen = new Set<Schema>()): Leaf[] {
  if (seen.has(schema)) return out;
  const inner = new Set(seen).add(schema);
  const walk = (next: Schema, at: string[] = path): Leaf[] => leaves(next, at, out, inner);
  if (schema instanceof z.ZodObject) for (const [key, field] of Object.entries(schema.shape)) walk(field, [...path, key]);
  else if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) walk(schema.unwrap());
  else if (schema instanceof z.ZodReadonly || schema instanceof z.ZodLazy) walk(schema.unwrap());
  else if (schema instanceof z.ZodArray) walk(schema.element, [...path.slice(0, -1), `${path.at(-1) ?? ''}[]`]);
  else if (schema instanceof z.ZodUnion) for (const option of schema.options) walk(option);
  else if (schema instanceof z.ZodIntersection) [schema.def.left, schema.def.right].forEach((part) => walk(part));
  else if (schema instanceof z.ZodRecord) walk(schema.valueType, [...path, '*']);
  else if (schema instanceof z.ZodTuple) schema.def.items.forEach((item, i) => walk(item, [...path, String(i)]));
  else if (schema instanceof z.ZodPipe) walk(schema.in);
  else if ([z.ZodString, z.ZodNumber, z.ZodBoolean, z.ZodEnum, z.ZodLiteral, z.ZodNull, z.ZodBigInt].some((kind) => schema instanceof kind))
    out.push({ path: path.join('.'), schema });
  // A kind this walk does not know could hide a field: better to fail here than to pass without looking.
  else throw new Error(`${path.join('.')}: a ${schema.constructor.name} the money walk does not know`);
  return out;
}

/** The money fields of everything the agent sends: command results, events, and a member's replies to its owner. */
function moneyFields(): Leaf[] {
  const sent: [string, Schema][] = [
    ...Object.entries(commands).map(([name, command]): [string, Schema] => [name, command.result]),
    ['event', AgentEventSchema],
    ['fleet reply', ReplySchema],
  ];
  return sent.flatMap(([name, schema]) =>
    leaves(schema, [], [])
      .filter((leaf) => {
        const keys = leaf.path.replaceAll('[]', '').split('.');
        return isMoney(keys.at(-1) ?? '', keys.at(-2) ?? '');
      })
      .map((leaf) => ({ ...leaf, path: `${name}: ${leaf.path}` })),
  );
}

const WEI = ['0', '1', '1280789051589', '1000000000000000000', '123456789012345678901234567890'];
const NOT_WEI = ['0.5', '1.0', '0.000001280789051589', '12.3456789', '1e18', '', ' 1', '+1', '01', '1_000', '0x10'];

test('every money field the agent sends is an integer wei string, never a decimal or a number', T, () => {
  const fields = moneyFields();
  const paths = new Set(fields.map((field) => field.path));
  // The walk reaches the fields the issue names: status, earnings summary and series, estimates, wallet, fleet report.
  for (const expected of [
    'getState: work.earned.confirmedWei',
    'getState: work.networks.unclaimedWei',
    'getState: work.tasks.rewardEstimateWei',
    'getState: wallet.claimable',
    'getEarnings: total.pendingWei',
    'getEarnings: byDay.confirmedWei',
    'getEarnings: series.bars.confirmedWei',
    'getEstimates: actual.earnedWei',
    'getEstimates: synor.perHourWei.mid',
    'getWallet: balances.synor',
    'getWallet: claims.amount',
    'fleetStatus: peers.report.total.confirmedWei',
    'fleetStatus: peers.report.days.pendingWei',
    'fleet reply: report.perHourWei.low',
    'event: state.work.earned.pendingWei',
  ])
    assert.ok(
      [...paths].some((path) => path.replaceAll('[]', '') === expected),
      `${expected} is not among the money fields found`,
    );
  const wrong = fields.flatMap(({ path, schema }) => {
    const takes = WEI.filter((wei) => !z.safeParse(schema, wei).success).map((wei) => `${path} refuses wei ${JSON.stringify(wei)}`);
    const refuses = NOT_WEI.filter((text) => z.safeParse(schema, text).success).map((text) => `${path} takes ${JSON.stringify(text)}`);
    return [...takes, ...refuses];
  });
  assert.deepEqual(wrong, [], `${fields.length} money fields checked`);
});

test('the walk fails on a decimal amount and on an amount sent as a number', T, () => {
  const decimal = z.object({ total: z.object({ confirmed: z.string(), perHourWei: z.object({ mid: z.number() }) }) });
  const found = leaves(decimal, [], []).map((leaf) => leaf.path);
  assert.deepEqual(found, ['total.confirmed', 'total.perHourWei.mid']);
  assert.ok(isMoney('confirmed', 'total') && isMoney('mid', 'perHourWei'));
  assert.ok(!isMoney('earnedUsd', 'actual') && !isMoney('usdPerSynor', 'network') && !isMoney('pendingTasks', 'total'));
  const [text, number] = leaves(decimal, [], []);
  assert.ok(z.safeParse(text!.schema, '0.0000012').success, 'a decimal string would be reported');
  assert.ok(!z.safeParse(number!.schema, '1').success, 'a number would be reported: it refuses wei as a string');
});
