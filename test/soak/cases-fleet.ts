// The fleet port under a hostile peer (issue 29 item 2): two fleets in this process on real loopback listeners, paired;
// the member's port is then flooded with garbage, oversized bodies, frames from strangers, wrong-key join guesses and
// replays of its owner's real command, all at once. Every one must get its coded refusal, the command must be
// applied once, and the owner must still reach the member afterwards.
import { FLEET_HTTP_PATH, type FleetCommand } from '../../main/common/fleet.js';
import { ok } from '../../main/common/result.js';
import { openFleet, type Fleet } from '../../main/core/fleet/fleet.js';
import { httpTransport } from '../../main/core/fleet/http-transport.js';
import { loadIdentity } from '../../main/core/fleet/identity.js';
import { newMessageId, Sealer } from '../../main/core/fleet/seal.js';
import type { FleetTransport } from '../../main/core/fleet/transport.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { clean, type SoakCase } from './case.js';

const FLOOD = { fast: 300, full: 3000 };
const CONCURRENT = 100;

interface Side {
  fleet: Fleet;
  dataDir: string;
  applied: FleetCommand[];
}

async function side(name: string, transport: FleetTransport): Promise<Side> {
  const dataDir = await tempDir('synor-soak-fleet-');
  const applied: FleetCommand[] = [];
  const fleet = await openFleet({
    dataDir,
    clock: { now: () => Date.now() },
    logger: new MemoryLogger(),
    version: '1.0.0',
    name: () => name,
    report: () => ({
      name,
      version: '1.0.0',
      sharing: false,
      status: { code: 'off', reason: 'Sharing is off.' },
      devices: [],
      perHourWei: null,
      today: null,
      total: null,
      temperatureC: null,
    }),
    apply: async (command) => (applied.push(command), ok(undefined)),
    told: () => undefined,
    transport,
    // No mDNS in a soak: the case is about the port, not the network's multicast.
    announce: () => null,
  });
  await fleet.follow({ enabled: true, port: 0 });
  return { fleet, dataDir, applied };
}

const loopback = async (fleet: Fleet): Promise<string> => `127.0.0.1:${(await fleet.status()).addresses[0]!.split(':').at(-1)}`;

/** One hostile POST: the code it was refused with, 'accepted', or 'gone' when the connection was dropped. */
async function hostile(address: string, body: string): Promise<string> {
  try {
    const response = await fetch(`http://${address}${FLEET_HTTP_PATH}`, { method: 'POST', body });
    const json = (await response.json()) as { code?: string };
    return response.status === 200 ? 'accepted' : (json.code ?? 'uncoded');
  } catch {
    return 'gone';
  }
}

export const FLEET_CASES: SoakCase[] = [
  {
    name: 'fleet port flooded by a hostile peer',
    fast: true,
    run: async (size) => {
      // The owner's real command is captured on its way, to be replayed.
      const captured: string[] = [];
      const tap: FleetTransport = {
        ...httpTransport,
        send: (address, frame) => (captured.push(JSON.stringify(frame)), httpTransport.send(address, frame)),
      };
      const [owner, member] = [await side('owner', tap), await side('member', httpTransport)];
      try {
        const offer = owner.fleet.pair();
        if (!offer.ok) throw new Error(offer.error.message);
        const joined = await member.fleet.join(await loopback(owner.fleet), offer.value.code);
        if (!joined.ok) throw new Error(joined.error.message);
        const memberId = (await member.fleet.status()).self.id;
        await owner.fleet.command('all', { type: 'share', on: true });
        const command = captured.at(-1)!;
        const stranger = new Sealer((await loadIdentity(await tempDir('synor-soak-stranger-'), Date.now())).identity);
        const asOwner = new Sealer((await loadIdentity(owner.dataDir, Date.now())).identity);
        // A join guess reaches only a waiting code: the member shows one, so guesses are opened and spend its tries.
        member.fleet.pair();
        const kinds: [string, () => string][] = [
          ['BAD_FRAME', () => 'not json'],
          ['TOO_LARGE', () => 'x'.repeat(100_000)],
          ['UNKNOWN_PEER', () => JSON.stringify(stranger.seal(memberId, { at: Date.now(), id: newMessageId(), body: { type: 'status' } }))],
          ['REPLAYED', () => command],
          [
            'REPLAYED',
            () => JSON.stringify(asOwner.seal(memberId, { at: Date.now() - 120_000, id: newMessageId(), body: { type: 'status' } })),
          ],
          [
            'BAD_CODE|NO_CODE|UNKNOWN_PEER',
            () =>
              JSON.stringify(
                stranger.seal(memberId, {
                  at: Date.now(),
                  id: newMessageId(),
                  body: { type: 'join', secret: 'AAAAAAAA', name: 'x', version: '1', port: 1 },
                }),
              ),
          ],
        ];
        const address = await loopback(member.fleet);
        // A hundred connections at a time (the door's caps close the oldest past 128 without a token, by design).
        const answers: { expected: string; code: string; right: boolean }[] = [];
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENT }, async () => {
            for (let i = next++; i < FLOOD[size]; i = next++) {
              const [expected, body] = kinds[i % kinds.length]!;
              const code = await hostile(address, body());
              answers.push({ expected, code, right: expected.split('|').includes(code) });
            }
          }),
        );
        const wrong = answers.filter((answer) => !answer.right);
        const after = await owner.fleet.status();
        const reached = after.peers[0]?.state === 'online';
        const appliedOnce = member.applied.length === 1;
        return {
          ...clean,
          ok: wrong.length === 0 && reached && appliedOnce,
          outcome:
            `${answers.length} hostile requests, ${answers.length - wrong.length} refused with the right code` +
            (wrong.length ? ` (wrong: ${[...new Set(wrong.map((w) => `${w.expected}→${w.code}`))].join(', ')})` : '') +
            `; the command applied ${member.applied.length} time(s); the owner ${reached ? 'still reaches' : 'no longer reaches'} the member`,
        };
      } finally {
        await Promise.all([owner.fleet.close(), member.fleet.close()]);
      }
    },
  },
];
