import pLimit from 'p-limit';
import type { FleetCommand, FleetWireCode, MemberReport, MemberView } from '../../common/fleet.js';
import { fail, type Result } from '../../common/result.js';
import type { Ask } from './outbound.js';
import type { PeerBook, PeerRecord } from './peer-book.js';

/**
 * Members asked at once. A status answer is a few KB and a LAN exchange tens of milliseconds, so 8 at a time reach 50
 * well within a second, while the asking machine holds 8 connections and their buffers rather than one per member
 * (the scale bench: 66 MB over a lone agent with 50 at once).
 */
const AT_ONCE = 8;

/**
 * A member's answer serves the fleet view this long: the Fleet page asks every 5 s, so each member is asked every
 * other time (the scale bench: the viewer's CPU with 50 members is mostly one exchange per member per ask). A command
 * to a member makes its next view ask again, so what a bulk action changed is shown at once.
 */
export const FRESH_MS = 10_000;

type Live = { report: MemberReport | null; reason: string; online: boolean };

/** A paired machine as the page lists it, with what it answered just now when it was asked. */
export const view = (peer: PeerRecord, live?: Live): MemberView => ({
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

/** The viewer's side of its members: their status (asked again once stale) and commands, a few at a time. */
export class MemberAsker {
  private readonly turns = pLimit(AT_ONCE);
  /** Member id → when it was last asked and its answer (a question still out is shared by every view meanwhile). */
  private readonly answers = new Map<string, { at: number; live: Promise<Live> }>();

  constructor(
    private readonly ask: Ask,
    private readonly book: PeerBook,
    private readonly now: () => number,
  ) {}

  /** One member's row: its answer of the last FRESH_MS, or asked now; a failure is shown with its reason. */
  async status(peer: PeerRecord): Promise<MemberView> {
    let answer = this.answers.get(peer.id);
    if (!answer || this.now() - answer.at >= FRESH_MS) {
      answer = { at: this.now(), live: this.live(peer) };
      this.answers.set(peer.id, answer);
    }
    const live = await answer.live;
    return view(this.book.get(peer.id) ?? peer, live);
  }

  async command(peer: PeerRecord, command: FleetCommand): Promise<Result<void, FleetWireCode>> {
    this.forget(peer.id);
    const { id, address } = peer;
    if (address === null) return fail('UNREACHABLE', 'Its address is not known.');
    const sent = await this.turns(() => this.ask({ id, address }, { type: 'command', command }));
    if (!sent.ok) return sent;
    this.book.seen(id, this.now());
    return { ok: true, value: undefined };
  }

  /** Its next view asks it again (a command sent, a pairing ended). */
  forget(id: string): void {
    this.answers.delete(id);
  }

  private async live(peer: PeerRecord): Promise<Live> {
    const { id, address } = peer;
    if (address === null) return { report: null, reason: 'Its address is not known.', online: false };
    const answer = await this.turns(() => this.ask({ id, address }, { type: 'status' }));
    if (!answer.ok) return { report: null, reason: answer.error.message, online: false };
    this.book.seen(id, this.now());
    const report = answer.value.type === 'status' ? answer.value.report : null;
    return { report, reason: report?.status.reason ?? 'Answered.', online: true };
  }
}
