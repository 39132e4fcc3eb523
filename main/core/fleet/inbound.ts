import {
  FLEET_WIRE_VERSION,
  FrameSchema,
  MessageSchema,
  type Envelope,
  type FleetCommand,
  type FleetWireCode,
  type Frame,
  type Hello,
  type MemberReport,
  type Message,
  type Reply,
} from '../../common/fleet.js';
import { fail, ok, type Result } from '../../common/result.js';
import type { PairingWindow } from './pairing-code.js';
import type { PeerBook, PeerRecord } from './peer-book.js';
import type { ReplayGuard } from './replay.js';
import { newMessageId, type Sealer } from './seal.js';
import type { FleetInbound } from './transport.js';

/**
 * The receiving side: every frame a peer sends is parsed, opened, checked against replay and its sender's standing,
 * then answered. Frames that cannot be tied to a paired sender get a plain coded refusal; a paired sender's get a
 * sealed answer (its errors included). Nothing a peer sends can throw past here.
 */
export interface InboundDeps {
  sealer: Sealer;
  replay: ReplayGuard;
  book: PeerBook;
  pairing: PairingWindow;
  now(): number;
  name(): string;
  version: string;
  report(): MemberReport;
  /** Applies an owner's command (settings saved and in force), or says why not. */
  apply(command: FleetCommand, from: PeerRecord): Promise<Result<void, string>>;
  /** Something worth the activity log happened (paired, left). */
  told(message: string): void;
}

type Refusal = { ok: false; error: { code: FleetWireCode; message: string } };

const NOT_PAIRED = fail(
  'UNKNOWN_PEER',
  'That machine is not paired with this one, and no pairing code is waiting on it (a code lasts 5 minutes and 3 wrong tries). Show a new code on it and try again.',
);
const REVOKED = fail('REVOKED', 'This machine no longer belongs to your fleet: the pairing was ended. Pair again with a new code.');
const ownerOnly = (): Reply => ({
  type: 'error',
  error: { code: 'FORBIDDEN', message: 'Only the machine that owns this fleet may ask that.' },
});

export function fleetInbound(d: InboundDeps): FleetInbound {
  const answer = (to: string, request: Envelope, reply: Reply): Frame =>
    d.sealer.seal(to, { at: d.now(), id: newMessageId(), re: request.id, body: reply });

  /** A paired peer's message, once opened and new. */
  const handle = async (peer: PeerRecord, message: Exclude<Message, { type: 'join' }>): Promise<Reply> => {
    d.book.seen(peer.id, d.now());
    if (message.type === 'leave') {
      await d.book.put({ ...peer, revokedAt: d.now() });
      d.told(`“${peer.name}” ended its fleet pairing with this machine.`);
      return { type: 'done' };
    }
    if (peer.role !== 'owner') return ownerOnly();
    if (message.type === 'status') return { type: 'status', report: d.report() };
    const applied = await d.apply(message.command, peer);
    return applied.ok ? { type: 'done' } : { type: 'error', error: { code: 'FORBIDDEN', message: applied.error.message.slice(0, 500) } };
  };

  /** A machine that is not paired (or was revoked) with the code shown here: it becomes a member. */
  const join = async (from: string, host: string, message: Extract<Message, { type: 'join' }>): Promise<Result<Reply, FleetWireCode>> => {
    const redeemed = d.pairing.redeem(message.secret);
    if (!redeemed.ok) return redeemed;
    const address = host.includes(':') ? `[${host}]:${message.port}` : `${host}:${message.port}`;
    const now = d.now();
    await d.book.put({
      id: from,
      name: message.name,
      role: 'member',
      address,
      pairedAt: now,
      revokedAt: null,
      lastSeen: now,
      delegation: null,
    });
    d.told(`“${message.name}” joined this machine's fleet.`);
    return ok({ type: 'joined', name: d.name(), version: d.version });
  };

  const frame = async (raw: unknown, host: string): Promise<Result<Frame, FleetWireCode>> => {
    const parsed = FrameSchema.safeParse(raw);
    if (!parsed.success) return fail('BAD_FRAME', 'The message is not a fleet message of this version.');
    const peer = d.book.get(parsed.data.from);
    const paired = peer !== undefined && peer.revokedAt === null;
    // Only a waiting code lets a stranger's box be opened at all (a join is the one thing it may send).
    if (!paired && !d.pairing.waiting()) return peer ? REVOKED : NOT_PAIRED;
    const opened = d.sealer.open(parsed.data);
    if (!opened.ok) return opened;
    const envelope = opened.value;
    const fresh = d.replay.check(parsed.data.from, envelope.id, envelope.at);
    if (!fresh.ok) return fresh;
    const message = MessageSchema.safeParse(envelope.body);
    if (!message.success) return fail('BAD_FRAME', 'The message is not one this machine knows.');
    if (message.data.type === 'join') {
      const joined = await join(parsed.data.from, host, message.data);
      return joined.ok ? ok(answer(parsed.data.from, envelope, joined.value)) : joined;
    }
    if (!paired) {
      const refusal: Refusal = peer ? REVOKED : NOT_PAIRED;
      return refusal;
    }
    return ok(answer(peer.id, envelope, await handle(peer, message.data)));
  };

  const hello = (): Hello => ({ v: FLEET_WIRE_VERSION, id: d.sealer.self.id, name: d.name() });
  return { hello, frame };
}
