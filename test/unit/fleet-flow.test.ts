// Three fleets in one process on a network in memory (the OS's sockets are the only fake): pairing with the right
// code, a wrong one, status and a command reaching two members, revocation from either side, and what a hostile
// sender gets for bad, replayed and misdirected frames.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameSchema, type FleetCommand, type Frame, type MemberReport } from '../../main/common/fleet.js';
import { fail, ok } from '../../main/common/result.js';
import { openFleet, type Fleet } from '../../main/core/fleet/fleet.js';
import { loadIdentity } from '../../main/core/fleet/identity.js';
import { newMessageId, Sealer } from '../../main/core/fleet/seal.js';
import type { Listen } from '../../main/core/fleet/listener.js';
import { FRESH_MS } from '../../main/core/fleet/members.js';
import type { FleetInbound, FleetTransport } from '../../main/core/fleet/transport.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';

const T = { timeout: 30_000 };

/** The network: each listener by its port; every frame crosses it as JSON, as on a wire, and can be watched. */
function memoryNetwork() {
  const doors = new Map<string, FleetInbound>();
  const sent: { address: string; frame: Frame }[] = [];
  /** While set, frames are recorded and not delivered (someone on the path holds them back). */
  const path = { hold: false };
  let nextPort = 40_000;
  const portOf = (address: string): string => address.slice(address.lastIndexOf(':') + 1);
  const listen: Listen = async (inbound) => {
    const port = nextPort++;
    doors.set(String(port), inbound);
    return { port, close: async () => void doors.delete(String(port)) };
  };
  const unreachable = fail('UNREACHABLE', 'no one there');
  const transport: FleetTransport = {
    hello: async (address) => {
      const door = doors.get(portOf(address));
      return door ? ok(door.hello()) : unreachable;
    },
    send: async (address, frame) => {
      sent.push({ address, frame });
      const door = doors.get(portOf(address));
      if (!door || path.hold) return unreachable;
      const answer = await door.frame(JSON.parse(JSON.stringify(frame)), '127.0.0.1');
      return answer.ok ? ok(FrameSchema.parse(JSON.parse(JSON.stringify(answer.value)))) : answer;
    },
  };
  return { listen, transport, sent, path, door: (address: string) => doors.get(portOf(address))! };
}

interface Machine {
  fleet: Fleet;
  dataDir: string;
  name: string;
  applied: FleetCommand[];
  told: string[];
  address(): Promise<string>;
}

const report = (name: string): MemberReport => ({
  name,
  version: '1.0.0',
  sharing: true,
  status: { code: 'working', reason: 'Working' },
  devices: [{ name: 'CPU', kind: 'Cpu' }],
  perHourWei: null,
  today: null,
  total: null,
  temperatureC: 51,
});

async function machine(name: string, net: ReturnType<typeof memoryNetwork>, clock: FakeClock): Promise<Machine> {
  const applied: FleetCommand[] = [];
  const told: string[] = [];
  const dataDir = await tempDir('synor-fleet-flow-');
  const fleet = await openFleet({
    dataDir,
    clock,
    logger: new MemoryLogger(),
    version: '1.0.0',
    name: () => name,
    report: () => report(name),
    apply: async (command) => (applied.push(command), ok(undefined)),
    told: (message) => told.push(message),
    transport: net.transport,
    listen: net.listen,
    announce: () => null,
  });
  await fleet.follow({ enabled: true, port: 0 });
  return { fleet, dataDir, name, applied, told, address: async () => (await fleet.status()).addresses[0]! };
}

async function pair(owner: Machine, member: Machine): Promise<string> {
  const offer = owner.fleet.pair();
  assert.ok(offer.ok);
  const joined = await member.fleet.join(await owner.address(), offer.value.code);
  assert.ok(joined.ok, JSON.stringify(joined));
  assert.equal(joined.value.role, 'owner');
  return (await member.fleet.status()).self.id;
}

test('pairing, status, a command to two members, and revocation from either side', T, async () => {
  const net = memoryNetwork();
  const clock = new FakeClock(Date.now());
  const [owner, b, c] = [await machine('owner', net, clock), await machine('b', net, clock), await machine('c', net, clock)];

  // A wrong code spends a try and pairs nothing; the right one pairs.
  const offer = owner.fleet.pair();
  assert.ok(offer.ok);
  const secret = offer.value.code.slice(0, 9);
  const wrong = await b.fleet.join(
    await owner.address(),
    `${secret === '0000-0000-' ? '1111-1111-' : '0000-0000-'}${offer.value.code.slice(10)}`,
  );
  assert.equal(wrong.ok ? '' : wrong.error.code, 'BAD_CODE', 'a wrong secret fails the key check before anything is sent');
  const bId = await pair(owner, b);
  const cId = await pair(owner, c);

  const status = await owner.fleet.status();
  assert.deepEqual(
    status.peers.map((peer) => [peer.name, peer.role, peer.state, peer.report?.temperatureC]),
    [
      ['b', 'member', 'online', 51],
      ['c', 'member', 'online', 51],
    ],
  );

  const results = await owner.fleet.command('all', { type: 'share', on: false });
  assert.deepEqual(
    results.map((r) => [r.name, r.ok]),
    [
      ['b', true],
      ['c', true],
    ],
  );
  assert.deepEqual(b.applied, [{ type: 'share', on: false }]);
  assert.deepEqual(c.applied, [{ type: 'share', on: false }]);

  // A member may not command its owner: its owner answers FORBIDDEN, sealed, and applies nothing.
  const ownerId = (await owner.fleet.status()).self.id;
  const bStatus = await b.fleet.status();
  assert.equal(bStatus.peers[0]?.id, ownerId);
  const asB = new Sealer((await loadIdentity(b.dataDir, clock.now())).identity);
  const request = { at: clock.now(), id: newMessageId(), body: { type: 'command', command: { type: 'share', on: true } } };
  const answer = await net.door(await owner.address()).frame(JSON.parse(JSON.stringify(asB.seal(ownerId, request))), '127.0.0.1');
  assert.ok(answer.ok);
  const opened = asB.open(answer.value);
  assert.deepEqual(opened.ok && opened.value.body, {
    type: 'error',
    error: { code: 'FORBIDDEN', message: 'Only the machine that owns this fleet may ask that.' },
  });
  assert.deepEqual(owner.applied, []);

  // Revoked by the member: the owner is told, and its next command is refused by the member.
  const left = await b.fleet.revoke(ownerId);
  assert.ok(left.ok);
  assert.equal(left.value.state, 'revoked');
  const afterLeave = await owner.fleet.command([bId], { type: 'share', on: true });
  assert.equal(afterLeave[0]?.error?.code, 'NOT_FOUND', 'the owner was told and no longer lists it as a member');
  assert.equal((await owner.fleet.status()).peers.find((p) => p.id === bId)?.state, 'revoked');

  // Revoked by the owner while the member is away: the member's view still lists its owner; the owner refuses it.
  await c.fleet.follow({ enabled: false, port: 0 });
  const revoked = await owner.fleet.revoke(cId);
  assert.ok(revoked.ok);
  assert.match(revoked.value.reason, /not told/);
  await c.fleet.follow({ enabled: true, port: 0 });
  const refused = await c.fleet.revoke(ownerId); // its "leave" reaches an owner that already revoked it
  assert.ok(refused.ok);
  assert.match(refused.value.reason, /no longer belongs/);
  assert.deepEqual(c.applied, [{ type: 'share', on: false }], 'nothing more was applied');
  for (const m of [owner, b, c]) await m.fleet.close();
});

test('a hostile sender: bad frames, a replay and a frame for someone else get coded refusals', T, async () => {
  const net = memoryNetwork();
  const clock = new FakeClock(Date.now());
  const [owner, b] = [await machine('owner', net, clock), await machine('b', net, clock)];
  await pair(owner, b);
  const bDoor = net.door(await b.address());
  const codeOf = async (raw: unknown): Promise<string> => {
    const answer = await bDoor.frame(raw, '10.0.0.9');
    return answer.ok ? 'accepted' : answer.error.code;
  };

  assert.equal(await codeOf('not a frame'), 'BAD_FRAME');
  assert.equal(await codeOf({ v: 1 }), 'BAD_FRAME');
  assert.equal(
    await codeOf({ v: 1, from: 'A'.repeat(43), to: 'B'.repeat(43), nonce: 'A'.repeat(16), box: 'A'.repeat(60) }),
    'UNKNOWN_PEER',
  );

  net.sent.length = 0;
  assert.equal((await owner.fleet.command('all', { type: 'pause', ms: 60_000 }))[0]?.ok, true);
  const captured = net.sent[0]!.frame;
  assert.equal(await codeOf(captured), 'REPLAYED', 'the same frame again');
  assert.equal(b.applied.length, 1, 'applied once');

  // The box changed by one character: it does not open.
  const flipped = { ...captured, box: `${captured.box.slice(0, 10)}${captured.box[10] === 'A' ? 'B' : 'A'}${captured.box.slice(11)}` };
  assert.equal(await codeOf(flipped), 'BAD_FRAME');
  // Too big for the schema (the HTTP door refuses bigger bodies before reading them).
  assert.equal(await codeOf({ ...captured, box: 'A'.repeat(100_000) }), 'BAD_FRAME');
  // A frame held back past the window is refused by its time.
  net.sent.length = 0;
  net.path.hold = true;
  assert.equal((await owner.fleet.command('all', { type: 'share', on: true }))[0]?.error?.code, 'UNREACHABLE');
  net.path.hold = false;
  clock.advance(61_000);
  assert.equal(await codeOf(net.sent[0]!.frame), 'REPLAYED', 'never delivered, but a minute late');
  assert.equal(b.applied.length, 1);
  for (const m of [owner, b]) await m.fleet.close();
});

test('wrong secrets sent straight to the owner spend its tries, then the code is dropped', T, async () => {
  const net = memoryNetwork();
  const clock = new FakeClock(Date.now());
  const [owner, b] = [await machine('owner', net, clock), await machine('b', net, clock)];
  const offer = owner.fleet.pair();
  assert.ok(offer.ok);
  const ownerId = (await owner.fleet.status()).self.id;
  const attacker = new Sealer((await loadIdentity(await tempDir('synor-fleet-attacker-'), clock.now())).identity);
  const door = net.door(await owner.address());
  const join = (secret: string) =>
    door.frame(
      attacker.seal(ownerId, { at: clock.now(), id: newMessageId(), body: { type: 'join', secret, name: 'x', version: '1', port: 1 } }),
      '10.0.0.9',
    );
  const codes: string[] = [];
  for (const secret of ['AAAAAAAA', 'BBBBBBBB', 'CCCCCCCC']) {
    const answer = await join(secret);
    codes.push(answer.ok ? 'accepted' : answer.error.code);
  }
  assert.deepEqual(codes, ['BAD_CODE', 'BAD_CODE', 'BAD_CODE']);
  const late = await b.fleet.join(await owner.address(), offer.value.code);
  assert.equal(late.ok ? '' : late.error.code, 'UNKNOWN_PEER', 'the right code after the tries: no code waits, strangers are not heard');
  assert.deepEqual((await owner.fleet.status()).peers, []);

  // A new code, left to expire on the owner's clock.
  const next = owner.fleet.pair();
  assert.ok(next.ok);
  clock.advance(5 * 60_000 + 1);
  const expired = await b.fleet.join(await owner.address(), next.value.code);
  assert.equal(expired.ok ? '' : expired.error.code, 'UNKNOWN_PEER');
  for (const m of [owner, b]) await m.fleet.close();
});

test('a member answer serves the view for FRESH_MS: views meanwhile share it, a command or its age asks again', T, async () => {
  const net = memoryNetwork();
  const clock = new FakeClock(Date.now());
  const [owner, b] = [await machine('owner', net, clock), await machine('b', net, clock)];
  await pair(owner, b);
  const bAddress = await b.address();
  const asked = (): number => net.sent.filter((s) => s.address.endsWith(bAddress.slice(bAddress.lastIndexOf(':')))).length;

  const first = asked();
  const views = await Promise.all([owner.fleet.status(), owner.fleet.status(), owner.fleet.status()]);
  assert.equal(asked() - first, 1, 'three views at once: one question');
  assert.deepEqual(
    views.map((v) => v.peers[0]?.state),
    ['online', 'online', 'online'],
  );
  clock.advance(FRESH_MS - 1);
  await owner.fleet.status();
  assert.equal(asked() - first, 1, 'still fresh: not asked again');
  clock.advance(1);
  await owner.fleet.status();
  assert.equal(asked() - first, 2, 'stale: asked again');

  // A command (one exchange) makes the next view ask, so it shows what the command changed.
  assert.equal((await owner.fleet.command('all', { type: 'share', on: false }))[0]?.ok, true);
  await owner.fleet.status();
  assert.equal(asked() - first, 4);

  // A member gone: shown offline once its answer is stale, with the reason.
  await b.fleet.follow({ enabled: false, port: 0 });
  assert.equal((await owner.fleet.status()).peers[0]?.state, 'online', 'its last answer, younger than FRESH_MS');
  clock.advance(FRESH_MS);
  const gone = (await owner.fleet.status()).peers[0];
  assert.deepEqual([gone?.state, gone?.reason], ['offline', 'no one there']);
  for (const m of [owner, b]) await m.fleet.close();
});
