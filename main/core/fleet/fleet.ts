import pLimit from 'p-limit';
import type { FleetCommand, FleetStatus, FleetWireCode, MemberReport, MemberView, PairingOffer } from '../../common/fleet.js';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import type { Clock, Logger } from '../ports.js';
import { BrokerLink } from './broker-transport.js';
import { httpTransport, listenHttp } from './http-transport.js';
import { loadIdentity } from './identity.js';
import { fleetInbound } from './inbound.js';
import { announceMdns, FleetDoor, lanAddresses, type Announce, type FleetDoorSettings, type Listen } from './listener.js';
import { fleetOutbound } from './outbound.js';
import { PairingWindow, keyCheck, parsePairingCode } from './pairing-code.js';
import { eitherPath } from './paths.js';
import { PeerBook, type PeerRecord } from './peer-book.js';
import { ReplayGuard } from './replay.js';
import { Sealer } from './seal.js';
import type { FleetTransport } from './transport.js';

/**
 * The fleet as this machine takes part in it: its key, the machines paired with it, the code it shows, the door on the
 * local network, and the viewer's side (asking members for their status, sending them commands). docs/fleet.md.
 */
export interface FleetDeps {
  dataDir: string;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  version: string;
  /** This machine's name, as other machines list it. */
  name(): string;
  report(): MemberReport;
  apply(command: FleetCommand, from: PeerRecord): Promise<Result<void, string>>;
  told(message: string): void;
  /** The direct path and mDNS unless given (a broker path; a test's network in memory). */
  transport?: FleetTransport;
  listen?: Listen;
  announce?: Announce;
}

/**
 * Members asked at once. A status answer is a few KB and a LAN exchange tens of milliseconds, so 8 at a time reach 50
 * well within a second, while the asking machine holds 8 connections and their buffers rather than one per member
 * (the scale bench: 66 MB over a lone agent with 50 at once).
 */
const AT_ONCE = 8;

export type FleetFailure = { code: FleetWireCode | 'OFF' | 'NOT_FOUND' | 'BAD_CODE_FORMAT'; message: string };

const OFF: { ok: false; error: FleetFailure } = fail(
  'OFF',
  'Fleet pairing is turned off on this machine. Turn it on in the settings, then try again.',
);

/** The door's settings, and the broker the user chose (null or absent: none). */
export type FleetSettings = FleetDoorSettings & { broker?: string | null | undefined };

export interface Fleet {
  follow(settings: FleetSettings): Promise<void>;
  status(): Promise<FleetStatus>;
  pair(): Result<PairingOffer, FleetFailure['code']>;
  join(address: string, code: string): Promise<Result<MemberView, FleetFailure['code']>>;
  revoke(id: string): Promise<Result<MemberView, FleetFailure['code']>>;
  command(ids: string[] | 'all', command: FleetCommand): Promise<{ id: string; name: string; ok: boolean; error?: FleetFailure }[]>;
  close(): Promise<void>;
}

const view = (peer: PeerRecord, live?: { report: MemberReport | null; reason: string; online: boolean }): MemberView => ({
  id: peer.id,
  name: peer.name,
  role: peer.role,
  address: peer.address,
  state: peer.revokedAt !== null ? 'revoked' : (live?.online ?? false) ? 'online' : 'offline',
  reason:
    peer.revokedAt !== null
      ? 'No longer paired.'
      : (live?.reason ??
        (peer.role === 'owner'
          ? 'Owns this machine’s fleet: it may read status and send commands.'
          : 'Not asked: fleet pairing is turned off on this machine.')),
  pairedAt: peer.pairedAt,
  lastSeen: peer.lastSeen,
  report: live?.report ?? null,
});

export async function openFleet(d: FleetDeps): Promise<Fleet> {
  const now = (): number => d.clock.now();
  const { identity, setAsideAs } = await loadIdentity(d.dataDir, now());
  if (setAsideAs) d.told(`The fleet key file was damaged and moved aside as ${setAsideAs}: pair this machine with its fleet again.`);
  const opened = await PeerBook.open(d.dataDir, now());
  if (opened.setAsideAs) d.told(`The list of paired machines was damaged and moved aside as ${opened.setAsideAs}: pair them again.`);
  const { book } = opened;
  const sealer = new Sealer(identity);
  const replay = new ReplayGuard(now);
  const pairing = new PairingWindow(now);
  const inbound = fleetInbound({
    sealer,
    replay,
    book,
    pairing,
    now,
    name: d.name,
    version: d.version,
    report: d.report,
    apply: d.apply,
    told: d.told,
  });
  const broker = new BrokerLink({
    sealer,
    inbound,
    peers: () => book.all().flatMap((peer) => (peer.revokedAt === null ? [peer.id] : [])),
    logger: d.logger,
    told: d.told,
  });
  book.watch(() => void broker.refresh());
  const transport = d.transport ?? eitherPath(httpTransport, broker);
  const ask = fleetOutbound(sealer, replay, transport, now);
  const turns = pLimit(AT_ONCE);
  const door = new FleetDoor(inbound, d.listen ?? listenHttp, d.announce ?? announceMdns, d.name, d.logger);

  /** One member asked for its status now; a failure is shown with its reason. */
  const poll = async (peer: PeerRecord): Promise<MemberView> => {
    const { id, address } = peer;
    if (address === null) return view(peer, { report: null, reason: 'Its address is not known.', online: false });
    const answer = await turns(() => ask({ id, address }, { type: 'status' }));
    if (!answer.ok) return view(peer, { report: null, reason: answer.error.message, online: false });
    book.seen(peer.id, now());
    const report = answer.value.type === 'status' ? answer.value.report : null;
    return view(book.get(peer.id)!, { report, reason: report?.status.reason ?? 'Answered.', online: true });
  };

  const peerOf = (id: string): Result<PeerRecord, 'NOT_FOUND'> => {
    const peer = book.get(id);
    return peer ? ok(peer) : fail('NOT_FOUND', 'No machine with this id is paired with this one: the fleet list shows the ones that are.');
  };

  return {
    async follow(settings) {
      const was = door.port !== null;
      await broker.follow(settings.enabled ? (settings.broker ?? null) : null);
      try {
        await door.follow(settings);
      } catch (error) {
        d.logger.error(`fleet listener: ${errorText(error)}`);
        d.told(
          'Fleet pairing could not start: the system did not let the app listen on the local network. Try another port in the fleet settings.',
        );
        return;
      }
      if (was === (door.port !== null)) return;
      d.told(
        door.port === null
          ? 'Fleet pairing turned off: paired machines cannot reach this one until it is turned on again.'
          : `Fleet pairing turned on: paired machines reach this one on port ${door.port}.`,
      );
    },

    async status() {
      const peers = await Promise.all(
        book.all().map((peer) => (peer.role === 'member' && peer.revokedAt === null && door.port !== null ? poll(peer) : view(peer))),
      );
      return {
        enabled: door.port !== null,
        self: { id: identity.id, name: d.name(), fingerprint: identity.fingerprint },
        addresses: door.port === null ? [] : lanAddresses(door.port),
        peers,
        nearby: door.nearby(),
      };
    },

    pair() {
      if (door.port === null) return OFF;
      const offer = pairing.offer(identity.id);
      const addresses = lanAddresses(door.port);
      const link = `synor-fleet://join?address=${encodeURIComponent(addresses[0]!)}&code=${offer.code}`;
      return ok({ code: offer.code, expiresAt: offer.expiresAt, addresses, link });
    },

    async join(address, code) {
      if (door.port === null) return OFF;
      const parsed = parsePairingCode(code);
      if (!parsed) return fail('BAD_CODE_FORMAT', 'A pairing code has 12 letters and digits, like 7K2Q-M9XD-4HTR. Check it and try again.');
      const hello = await transport.hello(address);
      if (!hello.ok) return hello;
      // Only the machine that showed the code passes this check: nothing is sent to any other.
      if (keyCheck(parsed.secret, hello.value.id) !== parsed.check) {
        return fail(
          'BAD_CODE',
          'This code was not made by the machine at that address. Check the code and the address, and that nothing stands between the two machines.',
        );
      }
      const joined = await ask(
        { id: hello.value.id, address },
        { type: 'join', secret: parsed.secret, name: d.name().slice(0, 120), version: d.version.slice(0, 40), port: door.port },
      );
      if (!joined.ok) return joined;
      const name = joined.value.type === 'joined' ? joined.value.name : hello.value.name;
      const at = now();
      const owner = await book.put({
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
    },

    async revoke(id) {
      const found = peerOf(id);
      if (!found.ok) return found;
      const peer = found.value;
      const revoked = await book.put({ ...peer, revokedAt: peer.revokedAt ?? now() });
      d.told(`The fleet pairing with “${peer.name}” was ended on this machine.`);
      // Told when it can be reached; refused from now on either way.
      const told = peer.revokedAt === null && peer.address !== null ? await ask({ id, address: peer.address }, { type: 'leave' }) : null;
      const reason =
        told === null || told.ok
          ? 'No longer paired.'
          : `No longer paired. It was not told (${told.error.message}), and its messages are refused.`;
      return ok({ ...view(revoked), reason });
    },

    async command(ids, command) {
      const members = book.active('member');
      const chosen = ids === 'all' ? members : ids.map((id) => members.find((peer) => peer.id === id) ?? id);
      return Promise.all(
        chosen.map(async (peer) => {
          if (typeof peer === 'string') {
            return {
              id: peer,
              name: peer.slice(0, 8),
              ok: false,
              error: { code: 'NOT_FOUND' as const, message: 'Not a member of this fleet.' },
            };
          }
          if (door.port === null) return { id: peer.id, name: peer.name, ok: false, error: OFF.error };
          const { id, address } = peer;
          const sent =
            address === null
              ? fail('UNREACHABLE', 'Its address is not known.')
              : await turns(() => ask({ id, address }, { type: 'command', command }));
          if (sent.ok) book.seen(peer.id, now());
          return sent.ok ? { id: peer.id, name: peer.name, ok: true } : { id: peer.id, name: peer.name, ok: false, error: sent.error };
        }),
      );
    },

    close: async () => {
      await Promise.all([door.close(), broker.close()]);
    },
  };
}
