import { ReplySchema, type FleetWireCode, type Message, type Reply } from '../../common/fleet.js';
import { fail, ok, type Result } from '../../common/result.js';
import type { ReplayGuard } from './replay.js';
import { newMessageId, type Sealer } from './seal.js';
import type { FleetTransport } from './transport.js';

/**
 * The asking side: a message sealed for one peer, sent, and its answer accepted only when it is that peer's sealed
 * answer to this very message (its id), new, and of a known shape. An error the peer sealed comes back as a failure.
 */
export type Ask = (peer: { id: string; address: string }, message: Message) => Promise<Result<Reply, FleetWireCode>>;

export function fleetOutbound(sealer: Sealer, replay: ReplayGuard, transport: FleetTransport, now: () => number): Ask {
  const wrong = fail('BAD_REPLY', 'The other machine answered with something that is not an answer to this message.');
  return async (peer, message) => {
    const id = newMessageId();
    const sent = await transport.send(peer.address, sealer.seal(peer.id, { at: now(), id, body: message }));
    if (!sent.ok) return sent;
    const frame = sent.value;
    if (frame.from !== peer.id) return wrong;
    const opened = sealer.open(frame);
    if (!opened.ok || opened.value.re !== id || !replay.check(frame.from, opened.value.id, opened.value.at).ok) return wrong;
    const reply = ReplySchema.safeParse(opened.value.body);
    if (!reply.success) return wrong;
    return reply.data.type === 'error' ? { ok: false, error: reply.data.error } : ok(reply.data);
  };
}
