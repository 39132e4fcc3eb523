/**
 * The embedded devnet, up only while something needs it: it is two processes (the coordinator and its chain, about
 * 100 MB together) that would otherwise run all day for a user who is not sharing. It keeps its state on disk and
 * starts again in about a second on the address it had, so the ledger's pins, the wallet's chain and the page's
 * figures stay those of one network across its naps.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevnetReadySchema, type DevnetReady } from '../common/devnet.js';
import { writeFileAtomic } from './fs/atomic.js';
import { startDevnetProcess, type DevnetProcess } from './devnet-process.js';
import type { Clock, Logger } from './ports.js';

/** How long the devnet stays up after the last thing that needed it (SYNOR_DEVNET_IDLE_SECONDS, 60 unless set). */
export function devnetIdleMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env['SYNOR_DEVNET_IDLE_SECONDS'] ?? 60);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 60_000;
}

export interface DevnetKeeperOptions {
  /** The devnet's folder: its own state, and where it last listened. */
  dir: string;
  clock: Clock;
  logger: Logger;
  idleMs: number;
  /** Called once nothing has needed the devnet for `idleMs`: the owner then decides whether it sleeps. */
  onIdle(): void;
}

const portOf = (url: string): string => new URL(url).port;

export class DevnetKeeper {
  private process: DevnetProcess | null = null;
  private lastNeed = Number.NEGATIVE_INFINITY;
  private cancelIdle: (() => void) | null = null;

  constructor(private readonly o: DevnetKeeperOptions) {}

  private get addressFile(): string {
    return join(this.o.dir, 'address.json');
  }

  /** The devnet while it runs; null while it sleeps. */
  get running(): DevnetProcess | null {
    return this.process;
  }

  /** Something needs the devnet now (sharing, work in hand, a user's request): it stays up `idleMs` from now. */
  needed(): void {
    this.lastNeed = this.o.clock.now();
    this.cancelIdle?.();
    this.cancelIdle = this.o.clock.after(this.o.idleMs, () => {
      this.cancelIdle = null;
      this.o.onIdle();
    });
  }

  /** Whether something needed it less than `idleMs` ago. */
  wanted(): boolean {
    return this.o.clock.now() - this.lastNeed < this.o.idleMs;
  }

  /** Where it answered last time (this run or an earlier one), for the figures kept while it sleeps; null if never. */
  async lastAddress(): Promise<DevnetReady | null> {
    const text = await readFile(this.addressFile, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const parsed = DevnetReadySchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null; // a damaged file only costs the old address: the devnet starts on free ports and writes it anew
    }
  }

  /** Starts it on the address it had, or on free ports when that is taken (another program took a port meanwhile). */
  async start(): Promise<DevnetProcess> {
    if (this.process) return this.process;
    const last = await this.lastAddress();
    const ports = last ? { port: portOf(last.url), chainPort: portOf(last.chain.rpcUrl) } : undefined;
    const started = await startDevnetProcess(this.o.dir, this.o.logger, ports).catch((error: unknown) => {
      if (!ports) throw error;
      this.o.logger.warn(`devnet: could not start on its last address (${String(error)}); trying free ports`);
      return startDevnetProcess(this.o.dir, this.o.logger);
    });
    const ready: DevnetReady = { type: 'ready', url: started.url, chain: started.chain };
    await writeFileAtomic(this.addressFile, JSON.stringify(ready));
    this.process = started;
    return started;
  }

  async stop(): Promise<void> {
    const running = this.process;
    this.process = null;
    await running?.stop();
  }

  close(): void {
    this.cancelIdle?.();
    this.cancelIdle = null;
  }
}
