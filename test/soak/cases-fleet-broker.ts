// The fleet's broker path through outages (issue 29 item 5): an owner and two members in this process, paired on
// loopback, then the members moved to ports their owner does not know, so only the broker (a real mosquitto) carries
// their messages. Mid-session the broker stops and comes back on the same address, once (fast) or four times (full).
// While it is down, commands fail and the view shows the members offline with a reason in plain words that names the
// broker, and the broker as unreachable; each side is told once per change. It comes back: every side reconnects by
// itself, and the next command reaches both members and the view shows them online again. Nothing logs an error.
import type { FleetCommand, FleetStatus } from '../../main/common/fleet.js';
import { ok } from '../../main/common/result.js';
import { openFleet, type Fleet } from '../../main/core/fleet/fleet.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { freePort } from '../helpers/ports.js';
import { startMosquitto, type Broker } from '../integration/support/mosquitto.js';
import { clean, type SoakCase } from './case.js';

const OUTAGES = { fast: 1, full: 4 };
/** Commands tried after the broker is back before the view counts as not recovered (each waits for every answer). */
const TRIES = 5;
/** An error code or a stack trace in what the user reads. */
const NOT_PLAIN = /\bE[A-Z]{3,}\b|Error:|\.[cm]?[jt]s:\d+/;

interface Side {
  name: string;
  fleet: Fleet;
  logger: MemoryLogger;
  told: string[];
  applied: FleetCommand[];
  /** Resolves once a sentence told from index `from` on matches. */
  heard(pattern: RegExp, from: number): Promise<void>;
}

async function side(name: string, broker: string): Promise<Side> {
  const logger = new MemoryLogger();
  const told: string[] = [];
  const applied: FleetCommand[] = [];
  const waiting = new Set<() => void>();
  const fleet = await openFleet({
    dataDir: await tempDir('synor-soak-fleet-broker-'),
    clock: { now: () => Date.now() },
    logger,
    version: '1.0.0',
    name: () => name,
    report: () => ({
      name,
      version: '1.0.0',
      sharing: applied.filter((c) => c.type === 'share').at(-1)?.on ?? false,
      status: { code: 'off', reason: 'Sharing is off.' },
      devices: [],
      perHourWei: null,
      today: null,
      total: null,
      temperatureC: null,
    }),
    apply: async (command) => (applied.push(command), ok(undefined)),
    told: (message) => {
      told.push(message);
      for (const check of waiting) check();
    },
    // No mDNS in a soak: the case is about the broker.
    announce: () => null,
  });
  await fleet.follow({ enabled: true, port: 0, broker });
  const heard = (pattern: RegExp, from: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!told.slice(from).some((message) => pattern.test(message))) return;
        waiting.delete(check);
        resolve();
      };
      waiting.add(check);
      check();
    });
  return { name, fleet, logger, told, applied, heard };
}

const CONNECTED = /also travel through the message broker/;
const DOWN = /message broker at .+ cannot be reached/;

/** Every side told `pattern` since the counts in `from`. */
const allHeard = (sides: Side[], pattern: RegExp, from: number[]): Promise<void[]> =>
  Promise.all(sides.map((s, i) => s.heard(pattern, from[i]!)));

export const FLEET_BROKER_CASES: SoakCase[] = [
  {
    name: 'fleet broker stops and comes back mid-session: every side reconnects, the view recovers, the outage is told plainly',
    fast: false,
    async run(size) {
      const port = await freePort();
      let broker: Broker | null = await startMosquitto(port);
      if (!broker) return { ...clean, ok: true, skipped: 'mosquitto is not installed: run scripts/system-deps.sh', outcome: 'not run' };
      const url = broker.url;
      const sides: Side[] = [];
      const problems: string[] = [];
      let recoveredTries = 0;
      try {
        sides.push(await side('owner', url), await side('b', url), await side('c', url));
        const [owner, ...members] = sides as [Side, Side, Side];
        await allHeard(sides, CONNECTED, [0, 0, 0]);
        const address = `127.0.0.1:${(await owner.fleet.status()).addresses[0]!.split(':').at(-1)}`;
        for (const member of members) {
          const offer = owner.fleet.pair();
          if (!offer.ok) throw new Error(offer.error.message);
          const joined = await member.fleet.join(address, offer.value.code);
          if (!joined.ok) throw new Error(joined.error.message);
          // Moved where its owner does not look: from now on only the broker reaches it.
          await member.fleet.follow({ enabled: true, port: await freePort(), broker: url });
        }
        let on = false;
        /** A command to all; true when both members took it (and the view, asked afresh by it, shows them online). */
        const command = async (): Promise<{ took: boolean; view: FleetStatus; reasons: string[] }> => {
          on = !on;
          const results = await owner.fleet.command('all', { type: 'share', on });
          const view = await owner.fleet.status();
          const took = results.length === 2 && results.every((r) => r.ok);
          return { took, view, reasons: results.flatMap((r) => (r.error ? [r.error.message] : [])) };
        };
        for (let outage = 0; outage < OUTAGES[size]; outage++) {
          const before = sides.map((s) => s.told.length);
          await broker.stop();
          await allHeard(sides, DOWN, before);
          const down = await command();
          if (down.took) problems.push(`outage ${outage}: a command got through with the broker down`);
          if (down.view.broker?.state !== 'unreachable') problems.push(`outage ${outage}: the broker shown ${down.view.broker?.state}`);
          for (const peer of down.view.peers) {
            if (peer.state !== 'offline') problems.push(`outage ${outage}: ${peer.name} shown ${peer.state}`);
            if (!/message broker/.test(peer.reason) || NOT_PLAIN.test(peer.reason)) problems.push(`reason: ${peer.reason}`);
          }
          const back = sides.map((s) => s.told.length);
          broker = await startMosquitto(port);
          if (!broker) throw new Error('mosquitto did not start again');
          await allHeard(sides, CONNECTED, back);
          // Each side subscribes to its pairs' topics as it reconnects: the first command may beat a subscription.
          let tries = 0;
          let last: Awaited<ReturnType<typeof command>> | undefined;
          while (tries < TRIES && !last?.took) {
            tries++;
            last = await command();
          }
          recoveredTries = Math.max(recoveredTries, tries);
          if (!last?.took) problems.push(`outage ${outage}: not recovered after ${TRIES} commands: ${last?.reasons.join('; ')}`);
          if (last?.view.broker?.state !== 'connected') problems.push(`outage ${outage}: broker shown ${last?.view.broker?.state}`);
          for (const peer of last?.view.peers ?? []) {
            if (peer.state !== 'online' || peer.report?.sharing !== on) problems.push(`outage ${outage}: ${peer.name} ${peer.state}`);
          }
          // Told once per change: one "cannot be reached" and one "connected" per side for this outage.
          for (const [i, s] of sides.entries()) {
            const since = s.told.slice(before[i]);
            const downs = since.filter((m) => DOWN.test(m)).length;
            const ups = since.filter((m) => CONNECTED.test(m)).length;
            if (downs !== 1 || ups !== 1) problems.push(`outage ${outage}: ${s.name} told ${downs} outages and ${ups} reconnections`);
          }
        }
        for (const s of sides) {
          for (const line of s.logger.lines.filter((l) => l.startsWith('error'))) problems.push(`${s.name}: ${line}`);
          for (const message of s.told.filter((m) => NOT_PLAIN.test(m))) problems.push(`${s.name} told: ${message}`);
        }
        for (const member of members) {
          if (member.applied.filter((c) => c.type === 'share').at(-1)?.on !== on) problems.push(`${member.name} did not end as told`);
        }
      } finally {
        await Promise.all(sides.map((s) => s.fleet.close()));
        await broker?.stop();
      }
      return {
        ...clean,
        ok: problems.length === 0,
        outcome:
          problems.length === 0
            ? `${OUTAGES[size]} broker outage(s): told plainly on every side, members offline with the broker named; every side reconnected by itself and both members took a command within ${recoveredTries} tr${recoveredTries === 1 ? 'y' : 'ies'} after each`
            : problems.slice(0, 5).join('; '),
      };
    },
  },
];
