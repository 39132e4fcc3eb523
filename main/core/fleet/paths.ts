import { fail } from '../../common/result.js';
import type { FleetTransport } from './transport.js';

const BROKER_DOWN = fail(
  'UNREACHABLE',
  'The machine did not answer directly, and the fleet’s message broker cannot be reached from here right now. The Fleet page says why; this machine tries the broker again every 10 seconds.',
);

/**
 * Two ways to a peer: the direct path (the local network) and, when the user set one, the broker. A frame goes the
 * way that last worked for its peer (direct until the broker has carried one), and the other way when that one
 * cannot reach it; a coded refusal (revoked, replayed…) is the peer's answer and is not tried again. Pairing (hello)
 * is direct only. Retrying the very same frame is safe: if the first try did arrive, its copy is refused as replayed.
 */
export function eitherPath(
  direct: FleetTransport,
  broker: FleetTransport & { readonly on: boolean; readonly wanted: boolean },
): FleetTransport {
  const viaBroker = new Set<string>();
  return {
    hello: (address) => direct.hello(address),
    async send(address, frame) {
      if (!broker.on) {
        const sent = await direct.send(address, frame);
        // A member met through the broker is not reachable directly: the reason is the broker, and says so.
        return !sent.ok && sent.error.code === 'UNREACHABLE' && broker.wanted ? BROKER_DOWN : sent;
      }
      const [first, second] = viaBroker.has(frame.to) ? [broker, direct] : [direct, broker];
      let sent = await first.send(address, frame);
      let by = first;
      if (!sent.ok && sent.error.code === 'UNREACHABLE') {
        sent = await second.send(address, frame);
        by = second;
      }
      // Whichever path got an answer (a refusal is one too) goes first next time.
      if (sent.ok || sent.error.code !== 'UNREACHABLE') {
        if (by === broker) viaBroker.add(frame.to);
        else viaBroker.delete(frame.to);
      }
      return sent;
    },
  };
}
