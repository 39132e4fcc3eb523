// The fleet's building blocks without processes: boxes that only the right pair opens, replay refused, the pairing
// code's checks, its expiry and tries on a clock the test moves, and the key kept readable by this user only.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import type { Envelope } from '../../main/common/fleet.js';
import { identityFile, loadIdentity, type FleetIdentity } from '../../main/core/fleet/identity.js';
import {
  keyCheck,
  newPairingCode,
  PAIRING_TRIES,
  PAIRING_TTL_MS,
  PairingWindow,
  parsePairingCode,
} from '../../main/core/fleet/pairing-code.js';
import { REPLAY_WINDOW_MS, ReplayGuard } from '../../main/core/fleet/replay.js';
import { newMessageId, Sealer } from '../../main/core/fleet/seal.js';
import { FakeClock, tempDir } from '../helpers/fakes.js';

const T = { timeout: 30_000 };

async function identities(count: number): Promise<FleetIdentity[]> {
  const made: FleetIdentity[] = [];
  for (let i = 0; i < count; i++) made.push((await loadIdentity(await tempDir('synor-fleet-id-'), Date.now())).identity);
  return made;
}

const envelope = (body: unknown): Envelope => ({ at: 1, id: newMessageId(), body });

test('a box opens only for its recipient, from its sender, unchanged', T, async () => {
  const [a, b, c] = await identities(3);
  const sealA = new Sealer(a!);
  const sealB = new Sealer(b!);
  const sealC = new Sealer(c!);
  const frame = sealA.seal(b!.id, envelope({ type: 'status' }));
  const opened = sealB.open(frame);
  assert.ok(opened.ok);
  assert.deepEqual(opened.value.body, { type: 'status' });
  // Another machine cannot open it, even when the frame is re-addressed to it.
  assert.equal(sealC.open(frame).ok, false);
  assert.equal(sealC.open({ ...frame, to: c!.id }).ok, false);
  // Claimed to come from someone else: the key differs, the box does not open.
  assert.equal(sealB.open({ ...frame, from: c!.id }).ok, false);
  // One bit changed anywhere in the box is found.
  const box = Buffer.from(frame.box, 'base64url');
  box[3]! ^= 1;
  const tampered = sealB.open({ ...frame, box: box.toString('base64url') });
  assert.deepEqual(tampered, { ok: false, error: { code: 'BAD_FRAME', message: tampered.ok ? '' : tampered.error.message } });
  // Sent back to its sender as if the other one had sealed it: each direction has its own key.
  assert.equal(sealA.open({ ...frame, from: b!.id, to: a!.id }).ok, false);
});

test('the key is kept with mode 0600, read back the same, and a damaged file is set aside for a new key', T, async () => {
  const dir = await tempDir('synor-fleet-keep-');
  const first = await loadIdentity(dir, Date.now());
  assert.equal((await stat(identityFile(dir))).mode & 0o777, 0o600);
  const again = await loadIdentity(dir, Date.now());
  assert.equal(again.identity.id, first.identity.id);
  assert.equal(again.setAsideAs, undefined);
  const text = await readFile(identityFile(dir), 'utf8');
  await writeFile(
    identityFile(dir),
    text.replace(/"d\\":\\"(.)/, (_, c: string) => `"d\\":\\"${c === 'A' ? 'B' : 'A'}`),
  );
  const replaced = await loadIdentity(dir, Date.now());
  assert.match(replaced.setAsideAs ?? '', /^identity\.json\.bad-/);
  assert.notEqual(replaced.identity.id, first.identity.id);
});

test('a message is taken once; one too old or too far ahead is refused', T, () => {
  const clock = new FakeClock();
  const replay = new ReplayGuard(() => clock.now());
  const id = newMessageId();
  assert.ok(replay.check('peer', id, clock.now()).ok);
  assert.equal(replay.check('peer', id, clock.now()).ok, false);
  // Another sender may use the same id (ids are per sender).
  assert.ok(replay.check('other', id, clock.now()).ok);
  assert.equal(replay.check('peer', newMessageId(), clock.now() - REPLAY_WINDOW_MS - 1).ok, false);
  assert.equal(replay.check('peer', newMessageId(), clock.now() + REPLAY_WINDOW_MS + 1).ok, false);
  // Past the window the id is forgotten, and its time alone refuses it.
  clock.advance(REPLAY_WINDOW_MS + 1);
  const again = replay.check('peer', id, clock.now() - REPLAY_WINDOW_MS - 1);
  assert.equal(again.ok ? '' : again.error.code, 'REPLAYED');
});

test('a code reads as typed, and its check names the machine that made it', T, async () => {
  const [a, b] = await identities(2);
  const { code, secret } = newPairingCode(a!.id);
  assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  const parsed = parsePairingCode(` ${code.toLowerCase().replace(/-/g, ' ')} `);
  assert.deepEqual(parsed, { secret, check: code.replace(/-/g, '').slice(8) });
  assert.equal(keyCheck(secret, a!.id), parsed!.check);
  assert.notEqual(keyCheck(secret, b!.id), parsed!.check, 'a key in the middle fails the check (1 in 2^20 would pass)');
  assert.deepEqual(parsePairingCode('ILO0-0000-0000'), { secret: '11000000', check: '0000' });
  assert.equal(parsePairingCode('ABCD-EFGH-JKM'), undefined);
  assert.equal(parsePairingCode('ABCD-EFGH-JKMU'), undefined, 'U is not in the alphabet');
});

test('a code works once, expires after five minutes, and is dropped after the wrong tries', T, () => {
  const clock = new FakeClock();
  const window = new PairingWindow(() => clock.now());
  assert.equal(window.waiting(), false);
  let offer = window.offer('host');
  assert.ok(window.redeem(offer.secret).ok);
  const used = window.redeem(offer.secret);
  assert.equal(used.ok ? '' : used.error.code, 'NO_CODE', 'used up');

  offer = window.offer('host');
  assert.equal(offer.expiresAt, clock.now() + PAIRING_TTL_MS);
  clock.advance(PAIRING_TTL_MS);
  assert.equal(window.waiting(), true, 'still valid at its last millisecond');
  clock.advance(1);
  assert.equal(window.waiting(), false);
  const late = window.redeem(offer.secret);
  assert.equal(late.ok ? '' : late.error.code, 'NO_CODE');

  offer = window.offer('host');
  for (let i = 0; i < PAIRING_TRIES; i++) {
    const wrong = window.redeem('00000000');
    assert.equal(wrong.ok ? '' : wrong.error.code, 'BAD_CODE');
  }
  const dropped = window.redeem(offer.secret);
  assert.equal(dropped.ok ? '' : dropped.error.code, 'NO_CODE', 'the right secret after the last wrong try');
});
