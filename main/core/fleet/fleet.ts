import type { FleetCommand, FleetStatus, FleetWireCode, MemberView, PairingOffer } from '../../common/fleet.js';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import { lanAddresses, type FleetDoorSettings } from './listener.js';
import { MemberAsker, view } from './members.js';
import { keyCheck, parsePairingCode } from './pairing-code.js';
import { fleetParts, type FleetDeps, type FleetParts } from './parts.js';
import type { PeerRecord } from './peer-book.js';

export type { FleetDeps } from './parts.js';

export type FleetFailure = { code: FleetWireCode | 'OFF' | 'NOT_FOUND' | 'BAD_CODE_FORMAT'; message: string };

const OFF: { ok: false; error: FleetFailure } = fail(
  'OFF',
  'Fleet pairing is turned off on this machine. Turn it on in the settings, then try again.',
);

/** The door's settings, and the broker the user chose (null or absent: none). */
export type FleetSettings = FleetDoorSettings & { broker?: string | null | undefined };

type Outcome = { id: string; name: string; ok: boolean; error?: FleetFailure };

export interface Fleet {
  follow(settings: FleetSettings): Promise<void>;
  status(): Promise<FleetStatus>;
  pair(): Result<PairingOffer, FleetFailure['code']>;
  join(address: string, code: string): Promise<Result<MemberView, FleetFailure['code']>>;
  revoke(id: string): Promise<Result<MemberView, FleetFailure['code']>>;
  command(ids: string[] | 'all', command: FleetCommand): Promise<Outcome[]>;
  close(): Promise<void>;
}

/** Opens or closes the door and the broker link as the settings say, telling the user what changed. */
async function follow(p: FleetParts, d: FleetDeps, settings: FleetSettings): Promise<void> {
  const was = p.door.port !== null;
  await p.broker.follow(settings.enabled ? (settings.broker ?? null) : null);
  try {
    await p.door.follow(settings);
  } catch (error) {
    d.logger.error(`fleet listener: ${errorText(error)}`);
    d.told(
      'Fleet pairing could not start: the system did not let the app listen on the local network. Try another port in the fleet settings.',
    );
    return;
  }
  if (was === (p.door.port !== null)) return;
  d.told(
    p.door.port === null
      ? 'Fleet pairing turned off: paired machines cannot reach this one until it is turned on again.'
      : `Fleet pairing turned on: paired machines reach this one on port ${p.door.port}.`,
  );
}

/** Joins the fleet of the machine at `address` that shows `code`; nothing is sent to a machine that did not make it. */
async function join(p: FleetParts, d: FleetDeps, address: string, code: string): Promise<Result<MemberView, FleetFailure['code']>> {
  const port = p.door.port;
  if (port === null) return OFF;
  const parsed = parsePairingCode(code);
  if (!parsed) return fail('BAD_CODE_FORMAT', 'A pairing code has 12 letters and digits, like 7K2Q-M9XD-4HTR. Check it and try again.');
  const hello = await p.transport.hello(address);
  if (!hello.ok) return hello;
  // Only the machine that showed the code passes this check: nothing is sent to any other.
  if (keyCheck(parsed.secret, hello.value.id) !== parsed.check) {
    return fail(
      'BAD_CODE',
      'This code was not made by the machine at that address. Check the code and the address, and that nothing stands between the two machines.',
    );
  }
  const joined = await p.ask(
    { id: hello.value.id, address },
    { type: 'join', secret: parsed.secret, name: d.name().slice(0, 120), version: d.version.slice(0, 40), port },
  );
  if (!joined.ok) return joined;
  const name = joined.value.type === 'joined' ? joined.value.name : hello.value.name;
  const at = p.now();
  const owner = await p.book.put({
    id: hello.value.id,
    name,
    role: 'owner',
    address,
    pairedAt: at,
    revokedAt: null,
    lastSeen: at,
    delegation: null,
  });
  d.told(`This machine joined the fleet of “${name}”: it may now read this machine's status and earnings and send it commands.`);
  return ok(view(owner));
}

/** Ends a pairing here at once, and tells the other machine when it can be reached. */
async function revoke(p: FleetParts, d: FleetDeps, peer: PeerRecord): Promise<MemberView> {
  const revoked = await p.book.put({ ...peer, revokedAt: peer.revokedAt ?? p.now() });
  d.told(`The fleet pairing with “${peer.name}” was ended on this machine.`);
  // Told when it can be reached; refused from now on either way.
  const told =
    peer.revokedAt === null && peer.address !== null ? await p.ask({ id: peer.id, address: peer.address }, { type: 'leave' }) : null;
  const reason =
    told === null || told.ok
      ? 'No longer paired.'
      : `No longer paired. It was not told (${told.error.message}), and its messages are refused.`;
  return { ...view(revoked), reason };
}

/**
 * The fleet as this machine takes part in it: its key, the machines paired with it, the code it shows, the door on the
 * local network, and the viewer's side (asking members for their status, sending them commands). docs/fleet.md.
 */
export async function openFleet(d: FleetDeps): Promise<Fleet> {
  const p = await fleetParts(d);
  const members = new MemberAsker(p.ask, p.book, p.now);
  const { identity, book, door } = p;

  const commandOne = async (peer: PeerRecord | string, command: FleetCommand): Promise<Outcome> => {
    if (typeof peer === 'string') {
      return { id: peer, name: peer.slice(0, 8), ok: false, error: { code: 'NOT_FOUND', message: 'Not a member of this fleet.' } };
    }
    if (door.port === null) return { id: peer.id, name: peer.name, ok: false, error: OFF.error };
    const sent = await members.command(peer, command);
    return sent.ok ? { id: peer.id, name: peer.name, ok: true } : { id: peer.id, name: peer.name, ok: false, error: sent.error };
  };

  return {
    follow: (settings) => follow(p, d, settings),

    async status() {
      const peers = await Promise.all(
        book
          .all()
          .map((peer) => (peer.role === 'member' && peer.revokedAt === null && door.port !== null ? members.status(peer) : view(peer))),
      );
      return {
        enabled: door.port !== null,
        self: { id: identity.id, name: d.name(), fingerprint: identity.fingerprint },
        addresses: door.port === null ? [] : lanAddresses(door.port),
        peers,
        nearby: door.nearby(),
        broker: p.broker.view(),
      };
    },

    pair() {
      if (door.port === null) return OFF;
      const offer = p.pairing.offer(identity.id);
      const addresses = lanAddresses(door.port);
      const link = `synor-fleet://join?address=${encodeURIComponent(addresses[0])}&code=${offer.code}`;
      return ok({ code: offer.code, expiresAt: offer.expiresAt, addresses, link });
    },

    join: (address, code) => join(p, d, address, code),

    async revoke(id) {
      const peer = book.get(id);
      if (!peer) return fail('NOT_FOUND', 'No machine with this id is paired with this one: the fleet list shows the ones that are.');
      members.forget(id);
      return ok(await revoke(p, d, peer));
    },

    command(ids, command) {
      const active = book.active('member');
      const chosen = ids === 'all' ? active : ids.map((id) => active.find((peer) => peer.id === id) ?? id);
      return Promise.all(chosen.map((peer) => commandOne(peer, command)));
    },

    close: async () => {
      await Promise.all([door.close(), p.broker.close()]);
    },
  };
}
