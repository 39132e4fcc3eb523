import type { FleetCommand, MemberReport } from '../../common/fleet.js';
import type { Result } from '../../common/result.js';
import type { Clock, Logger } from '../ports.js';
import { BrokerLink } from './broker-transport.js';
import { httpTransport, listenHttp } from './http-transport.js';
import { loadIdentity, type FleetIdentity } from './identity.js';
import { fleetInbound } from './inbound.js';
import { announceMdns, FleetDoor, type Announce, type Listen } from './listener.js';
import { fleetOutbound, type Ask } from './outbound.js';
import { PairingWindow } from './pairing-code.js';
import { eitherPath } from './paths.js';
import { PeerBook, type PeerRecord } from './peer-book.js';
import { ReplayGuard } from './replay.js';
import { Sealer } from './seal.js';
import type { FleetTransport } from './transport.js';

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

/** The fleet's parts, put together once: what openFleet's operations work with. */
export interface FleetParts {
  identity: FleetIdentity;
  book: PeerBook;
  pairing: PairingWindow;
  broker: BrokerLink;
  transport: FleetTransport;
  ask: Ask;
  door: FleetDoor;
  now(): number;
}

/** Loads the key and the paired machines (telling the user of a damaged file set aside) and wires the parts. */
export async function fleetParts(d: FleetDeps): Promise<FleetParts> {
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
  const door = new FleetDoor(inbound, d.listen ?? listenHttp, d.announce ?? announceMdns, d.name, d.logger);
  return { identity, book, pairing, broker, transport, ask, door, now };
}
