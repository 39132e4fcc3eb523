import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FleetStatus, MemberView, PairingOffer } from '../../main/common/fleet.js';
import { DEFAULT_SETTINGS, type Settings } from '../../main/common/settings.js';
import { startAgent, type TestAgent } from '../integration/support/agents.js';
import { tempDir } from './fakes.js';
import { rpc, type Headless } from './headless.js';

/**
 * A built headless agent with fleet pairing on (any free port). `earning`: on its embedded devnet; otherwise on a
 * network that is never reached, so it stays idle.
 */
export async function fleetMachine(earning: boolean): Promise<TestAgent> {
  const home = await tempDir('synor-fleet-');
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    fleet: { enabled: true, port: 0 },
    ...(earning ? {} : { network: { ...DEFAULT_SETTINGS.network, coordinatorUrl: 'http://127.0.0.1:9' } }),
  };
  await mkdir(join(home, 'config'), { recursive: true });
  await writeFile(join(home, 'config', 'settings.json'), JSON.stringify(settings));
  return startAgent(home, ['dist/main/headless.js', '--port', '0']);
}

async function ok<T>(agent: Pick<Headless, 'origin' | 'token'>, cmd: string, args: unknown = {}): Promise<T> {
  const answer = (await rpc(agent, cmd, args)) as { ok: boolean; value: T; error?: unknown };
  assert.ok(answer.ok, `${cmd} failed: ${JSON.stringify(answer.error)}`);
  return answer.value;
}

/** Pairs `member` into `owner`'s fleet through the local API (a code shown, then joined); answers the member's id. */
export async function pairWith(owner: Pick<Headless, 'origin' | 'token'>, member: TestAgent): Promise<string> {
  const port = (await ok<FleetStatus>(owner, 'fleetStatus')).addresses[0]?.split(':').at(-1);
  assert.ok(port, 'the owner listens for paired machines');
  const offer = await ok<PairingOffer>(owner, 'fleetPair');
  const joined = await member.ok<MemberView>('fleetJoin', { address: `127.0.0.1:${port}`, code: offer.code });
  assert.equal(joined.role, 'owner');
  return (await member.ok<FleetStatus>('fleetStatus')).self.id;
}
