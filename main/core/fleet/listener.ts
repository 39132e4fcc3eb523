import { networkInterfaces } from 'node:os';
import { errorText } from '../../common/result.js';
import { SerialQueue } from '../../common/serial.js';
import type { Logger } from '../ports.js';
import { Discovery, type Nearby } from './discovery.js';
import type { FleetInbound, FleetListener } from './transport.js';

/**
 * The fleet's door on the local network, open only while the setting is on: the peer listener and its mDNS
 * announcement start and stop together, one change at a time, following the setting.
 */
export interface FleetDoorSettings {
  enabled: boolean;
  /** 0: any free port, for this run. */
  port: number;
}

export type Listen = (inbound: FleetInbound, port: number, logger: Logger) => Promise<FleetListener>;
/** Announces the open door on the local network and lists the others (discovery.ts), or null where it cannot. */
export type Announce = (name: string, port: number, logger: Logger) => Pick<Discovery, 'nearby' | 'stop'> | null;

export const announceMdns: Announce = (name, port, logger) => new Discovery(name, port, logger);

/** This machine's addresses on its networks (IPv4, not loopback), where a peer can reach `port`. */
export function lanAddresses(port: number): [string, ...string[]] {
  const [first, ...rest] = Object.values(networkInterfaces()).flatMap((nets) =>
    (nets ?? []).flatMap((net) => (net.family === 'IPv4' && !net.internal ? [`${net.address}:${port}`] : [])),
  );
  // A machine without a network still pairs agents on itself (and tests do).
  return first === undefined ? [`127.0.0.1:${port}`] : [first, ...rest];
}

export class FleetDoor {
  private open: { settings: FleetDoorSettings; listener: FleetListener; discovery: ReturnType<Announce> } | null = null;
  private readonly changes = new SerialQueue();

  constructor(
    private readonly inbound: FleetInbound,
    private readonly listen: Listen,
    private readonly announce: Announce,
    private readonly name: () => string,
    private readonly logger: Logger,
  ) {}

  get port(): number | null {
    return this.open?.listener.port ?? null;
  }

  nearby(): Nearby[] {
    return this.open?.discovery?.nearby() ?? [];
  }

  /** Opens, moves or closes the door as the setting says. */
  follow(settings: FleetDoorSettings): Promise<void> {
    return this.changes.run(async () => {
      const now = this.open?.settings;
      if (now && settings.enabled && now.port === settings.port) return;
      await this.shut();
      if (settings.enabled) await this.start(settings);
    });
  }

  close(): Promise<void> {
    return this.changes.run(() => this.shut());
  }

  private async start(settings: FleetDoorSettings): Promise<void> {
    const listener = await this.listen(this.inbound, settings.port, this.logger).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || settings.port === 0) throw error;
      this.logger.warn(`fleet: port ${settings.port} is in use; another one was picked for this run`);
      return this.listen(this.inbound, 0, this.logger);
    });
    let discovery: ReturnType<Announce> = null;
    try {
      discovery = this.announce(this.name(), listener.port, this.logger);
    } catch (error) {
      this.logger.warn(`fleet discovery could not start (${errorText(error)}): machines can still join by address`);
    }
    this.open = { settings, listener, discovery };
    this.logger.info(`fleet: listening for paired machines on port ${listener.port}`);
  }

  private async shut(): Promise<void> {
    const open = this.open;
    this.open = null;
    if (!open) return;
    await Promise.all([open.listener.close(), open.discovery?.stop()]);
  }
}
