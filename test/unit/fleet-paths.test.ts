// Choosing between the direct path and the broker (fleet/paths.ts), with two transports that stand in for the wire
// (the network is the only fake): which one a frame tries first, when the other is tried, and what is not retried.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FleetWireCode, Frame } from '../../main/common/fleet.js';
import { fail, ok, type Result } from '../../main/common/result.js';
import { eitherPath } from '../../main/core/fleet/paths.js';
import type { FleetTransport } from '../../main/core/fleet/transport.js';

const T = { timeout: 30_000 };

const frameTo = (to: string): Frame => ({ v: 1, from: 'a'.repeat(43), to, nonce: 'n'.repeat(16), box: 'b'.repeat(22) });
const B = 'B'.repeat(43);
const C = 'C'.repeat(43);

/** A path that answers as told per peer, and records which peers it was asked for. */
function path(name: string) {
  const asked: string[] = [];
  const answers = new Map<string, Result<Frame, FleetWireCode>>();
  const transport: FleetTransport & { on: boolean; wanted: boolean } = {
    on: true,
    wanted: true,
    hello: async () => fail('UNREACHABLE', `${name} has no hello`),
    send: async (_address, frame) => {
      asked.push(frame.to);
      return answers.get(frame.to) ?? fail('UNREACHABLE', `${name}: no one there`);
    },
  };
  return { transport, asked, answers };
}

test('a frame goes direct first, to the broker when the direct path cannot reach the peer, and stays there', T, async () => {
  const direct = path('direct');
  const broker = path('broker');
  const either = eitherPath(direct.transport, broker.transport);
  direct.answers.set(B, ok(frameTo('x'.repeat(43))));
  broker.answers.set(C, ok(frameTo('y'.repeat(43))));

  assert.equal((await either.send('b:1', frameTo(B))).ok, true);
  assert.equal((await either.send('c:1', frameTo(C))).ok, true);
  assert.deepEqual(direct.asked, [B, C]);
  assert.deepEqual(broker.asked, [C]);

  // C answered through the broker: its next frame goes there first, without waiting on the direct path.
  assert.equal((await either.send('c:1', frameTo(C))).ok, true);
  assert.deepEqual(direct.asked, [B, C]);
  assert.deepEqual(broker.asked, [C, C]);

  // The broker loses C, which is back on the LAN: direct again, and first from then on.
  broker.answers.delete(C);
  direct.answers.set(C, ok(frameTo('z'.repeat(43))));
  assert.equal((await either.send('c:1', frameTo(C))).ok, true);
  assert.equal((await either.send('c:1', frameTo(C))).ok, true);
  assert.deepEqual(broker.asked, [C, C, C]);
  assert.deepEqual(direct.asked, [B, C, C, C]);
});

test('a coded refusal is the peer answering: it is not tried on the other path', T, async () => {
  const direct = path('direct');
  const broker = path('broker');
  direct.answers.set(B, fail('REVOKED', 'no longer paired'));
  const sent = await eitherPath(direct.transport, broker.transport).send('b:1', frameTo(B));
  assert.equal(sent.ok ? 'ok' : sent.error.code, 'REVOKED');
  assert.deepEqual(broker.asked, []);
});

test('without a broker set, only the direct path is asked and its failure is the answer', T, async () => {
  const direct = path('direct');
  const broker = path('broker');
  broker.transport.on = false;
  broker.transport.wanted = false;
  broker.answers.set(B, ok(frameTo('x'.repeat(43))));
  const either = eitherPath(direct.transport, broker.transport);
  const sent = await either.send('b:1', frameTo(B));
  assert.equal(sent.ok ? 'ok' : sent.error.message, 'direct: no one there');
  assert.deepEqual(broker.asked, []);
  // Pairing is direct only, broker or not.
  broker.transport.on = true;
  const hello = await either.hello('b:1');
  assert.equal(hello.ok ? 'ok' : hello.error.message, 'direct has no hello');
});

test('with a broker set but not reached, a peer the direct path cannot reach is said to wait on the broker', T, async () => {
  const direct = path('direct');
  const broker = path('broker');
  broker.transport.on = false;
  const either = eitherPath(direct.transport, broker.transport);
  const sent = await either.send('b:1', frameTo(B));
  assert.equal(sent.ok ? 'ok' : sent.error.code, 'UNREACHABLE');
  assert.match(sent.ok ? '' : sent.error.message, /message broker cannot be reached from here/);
  assert.deepEqual([direct.asked, broker.asked], [[B], []]);
  // A refusal on the direct path is still the peer's own answer.
  direct.answers.set(B, fail('REVOKED', 'no longer paired'));
  const refused = await either.send('b:1', frameTo(B));
  assert.equal(refused.ok ? 'ok' : refused.error.message, 'no longer paired');
});

test('when both paths fail, the broker’s failure is the answer (it was tried last)', T, async () => {
  const direct = path('direct');
  const broker = path('broker');
  const sent = await eitherPath(direct.transport, broker.transport).send('b:1', frameTo(B));
  assert.equal(sent.ok ? 'ok' : sent.error.message, 'broker: no one there');
  assert.deepEqual([direct.asked, broker.asked], [[B], [B]]);
});
