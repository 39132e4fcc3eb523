import type { Frame, FleetWireCode, Hello } from '../../common/fleet.js';
import type { Result } from '../../common/result.js';

/**
 * How sealed frames travel between fleet machines. The direct path (http-transport.ts) posts them to the peer's LAN
 * address; a broker path (issue 29 item 5) would carry the same frames under the same seal, so it implements the same
 * two interfaces and nothing above them changes.
 */
export interface FleetTransport {
  /** Who answers at `address`: the key a pairing code is checked against before any secret is sent. */
  hello(address: string): Promise<Result<Hello, FleetWireCode>>;
  /** One frame to the peer at `address`, and the frame it answered with. */
  send(address: string, frame: Frame): Promise<Result<Frame, FleetWireCode>>;
}

/** What the receiving side does with what arrives (fleet-inbound.ts). */
export interface FleetInbound {
  hello(): Hello;
  /** An untrusted frame; `host` is where it came from on the network (a pairing keeps it as the peer's address). */
  frame(raw: unknown, host: string): Promise<Result<Frame, FleetWireCode>>;
}

export interface FleetListener {
  readonly port: number;
  close(): Promise<void>;
}
