import type { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import { Bonjour, type Browser, type Service } from 'bonjour-service';
import { FLEET_MDNS_TYPE } from '../../common/fleet.js';
import { errorText } from '../../common/result.js';
import type { Logger } from '../ports.js';

/**
 * mDNS (bonjour-service): while the fleet listener is on, this machine announces `_synor-fleet._tcp` on the local
 * network and lists the others that do, so a page can offer them instead of an address typed by hand. Announcing
 * tells only a name and a port; pairing still needs the code (docs/fleet.md).
 */
export interface Nearby {
  name: string;
  address: string;
}

const MAX_NEARBY = 256;

export class Discovery {
  private readonly bonjour: Bonjour;
  private readonly browser: Browser;

  constructor(
    name: string,
    private readonly port: number,
    logger: Logger,
  ) {
    // Without these, a network that refuses multicast would throw out of a socket callback and end the agent.
    this.bonjour = new Bonjour({}, (error: Error) => logger.warn(`fleet discovery: ${errorText(error)}`));
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- bonjour-service keeps its multicast socket out of its types; its errors would otherwise end the agent
    const sockets = (this.bonjour as unknown as { server: { mdns: EventEmitter } }).server.mdns;
    sockets.on('error', (error: Error) => logger.warn(`fleet discovery is off: the local network refused it (${errorText(error)})`));
    // The port makes the name unique when several agents run on one host (tests, benches).
    this.bonjour.publish({ name: `${name.slice(0, 40)} (${port})`, type: FLEET_MDNS_TYPE, port, txt: { v: '1' } });
    this.browser = this.bonjour.find({ type: FLEET_MDNS_TYPE });
  }

  /** The fleet machines announcing themselves now, this one left out (its own port on one of its own addresses). */
  nearby(): Nearby[] {
    const own = new Set(
      Object.values(networkInterfaces())
        .flat()
        .map((net) => net?.address),
    );
    return this.browser.services.slice(0, MAX_NEARBY).flatMap((service: Service) => {
      const ipv4 = (service.addresses ?? []).find((address) => /^\d+\.\d+\.\d+\.\d+$/.test(address));
      const host = ipv4 ?? service.referer?.address;
      if (host === undefined || (service.port === this.port && own.has(host))) return [];
      return [{ name: String(service.name).slice(0, 120), address: `${host}:${service.port}` }];
    });
  }

  stop(): Promise<void> {
    this.browser.stop();
    return new Promise((resolve) => this.bonjour.unpublishAll(() => this.bonjour.destroy(() => resolve())));
  }
}
