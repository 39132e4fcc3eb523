// The fleet's broker path with three real agents (headless, from source) and a real MQTT broker (mosquitto): pairing
// is done directly, then the members move to ports their owner does not know, so the direct path is refused; status and
// bulk actions still reach them through the broker, which never sees a key, a name or a report in the clear. A hostile
// broker client then publishes junk, oversized messages, fake answers and replays of everything it saw on every topic:
// nothing crashes, the replayed command is not taken again, and the owner still reaches its members. `synor fleet list`
// says how the broker is reached, connected and then stopped.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connectAsync, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { FleetStatus, PairingOffer } from '../../main/common/fleet.js';
import { DEFAULT_SETTINGS, type Settings } from '../../main/common/settings.js';
import type { ActivityEntry } from '../../main/common/state.js';
import { tempDir } from '../helpers/fakes.js';
import { freePort } from '../helpers/ports.js';
import { startAgent, type TestAgent } from './support/agents.js';
import { runSynor, SOURCE_SYNOR } from './support/cli.js';
import { startMosquitto, type Broker } from './support/mosquitto.js';

const T = { timeout: 300_000 };

interface Seen {
  topic: string;
  payload: Buffer;
  options: IClientPublishOptions;
}

let broker: Broker | null;
/** Subscribed to every topic from the start: what anyone the broker lets read could see. */
let watcher: MqttClient;
const seen: Seen[] = [];
let owner: TestAgent;
let b: TestAgent;
let c: TestAgent;

async function machine(url: string): Promise<TestAgent> {
  const home = await tempDir('synor-fleet-broker-');
  await mkdir(join(home, 'config'), { recursive: true });
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    network: { ...DEFAULT_SETTINGS.network, coordinatorUrl: 'http://127.0.0.1:9' },
    fleet: { enabled: true, port: 0, broker: url },
  };
  await writeFile(join(home, 'config', 'settings.json'), JSON.stringify(settings));
  return startAgent(home, ['--import', 'tsx', 'main/core/headless.ts', '--port', String(await freePort())]);
}

/** Resolves once the agent's activity log has a line matching `pattern` (each answer awaited, no fixed wait). */
async function logged(agent: TestAgent, pattern: RegExp): Promise<void> {
  while (!(await agent.ok<ActivityEntry[]>('getActivity')).some((entry) => pattern.test(entry.message)));
}

const status = (agent: TestAgent): Promise<FleetStatus> => agent.ok<FleetStatus>('fleetStatus');
const portOf = async (agent: TestAgent): Promise<string> => (await status(agent)).addresses[0]!.split(':').at(-1)!;
const sharing = async (agent: TestAgent): Promise<boolean> => (await agent.ok<Settings>('getSettings')).sharing;

before(async () => {
  broker = await startMosquitto();
  if (!broker) return;
  watcher = await connectAsync(broker.url, { protocolVersion: 5 });
  watcher.on('message', (topic, payload, packet) =>
    seen.push({ topic, payload, options: { qos: 0, properties: { ...packet.properties } } }),
  );
  await watcher.subscribeAsync('#');
  [owner, b, c] = await Promise.all([machine(broker.url), machine(broker.url), machine(broker.url)]);
  await Promise.all([owner, b, c].map((agent) => logged(agent, /through the message broker at 127\.0\.0\.1/)));
});

after(async () => {
  await Promise.all([owner?.stop(), b?.stop(), c?.stop()]);
  await watcher?.endAsync(true);
  await broker?.stop();
});

test('with the direct path refused, status and bulk actions reach the members through the broker', T, async (t) => {
  if (!broker) return t.skip('mosquitto is not installed: run scripts/system-deps.sh');
  const ownerAddress = `127.0.0.1:${await portOf(owner)}`;
  for (const member of [b, c]) {
    await member.ok('fleetJoin', { address: ownerAddress, code: (await owner.ok<PairingOffer>('fleetPair')).code });
  }
  const direct = await status(owner);
  assert.deepEqual(
    direct.peers.map((peer) => peer.state),
    ['online', 'online'],
  );
  const heardBefore = seen.length;

  // Each member moves to a port its owner does not know: the owner's direct path finds nothing listening there.
  for (const member of [b, c]) {
    await member.ok('updateSettings', { fleet: { enabled: true, port: await freePort(), broker: broker.url } });
  }
  for (const peer of direct.peers) {
    await assert.rejects(fetch(`http://${peer.address}/fleet/v1/hello`, { method: 'POST', body: '{}' }), 'nothing listens there');
  }

  const on = await owner.ok<{ results: { ok: boolean }[] }>('fleetCommand', { ids: 'all', command: { type: 'share', on: true } });
  assert.deepEqual(
    on.results.map((r) => r.ok),
    [true, true],
  );
  for (const member of [b, c]) assert.equal(await sharing(member), true);
  // A command makes the next view ask its members again (an answer otherwise serves the view for a few seconds).
  const viaBroker = await status(owner);
  for (const peer of viaBroker.peers) {
    assert.equal(peer.state, 'online', peer.reason);
    assert.equal(peer.report?.sharing, true);
  }
  const paused = await owner.ok<{ results: { ok: boolean }[] }>('fleetCommand', { ids: 'all', command: { type: 'pause', ms: 3_600_000 } });
  assert.deepEqual(
    paused.results.map((r) => r.ok),
    [true, true],
  );
  for (const member of [b, c]) assert.ok(((await member.ok<Settings>('getSettings')).pausedUntil ?? 0) > Date.now());
  const off = await owner.ok<{ results: { ok: boolean }[] }>('fleetCommand', { ids: 'all', command: { type: 'share', on: false } });
  assert.deepEqual(
    off.results.map((r) => r.ok),
    [true, true],
  );
  for (const member of [b, c]) assert.equal(await sharing(member), false);

  // It went through the broker, and the broker saw neither keys nor anything readable.
  const carried = seen.slice(heardBefore);
  assert.ok(carried.length >= 2 * 2 * 4, `${carried.length} messages through the broker`);
  const ids = [direct.self.id, ...direct.peers.map((peer) => peer.id)];
  for (const message of seen) {
    const text = `${message.topic}\n${message.payload.toString('utf8')}`;
    for (const id of ids) assert.ok(!text.includes(id), `a machine's key in ${message.topic}`);
    // A report or a command in the clear would show its field names (quoted: base64url has no quotes).
    assert.doesNotMatch(text, /"(sharing|temperatureC|version|command|report)"/);
  }
});

test('a hostile broker client (junk, oversized, fake answers, replays on every topic) crashes nothing', T, async (t) => {
  if (!broker) return t.skip('mosquitto is not installed: run scripts/system-deps.sh');
  const hostile = await connectAsync(broker.url, { protocolVersion: 5 });
  const captured = [...seen];
  const topics = [...new Set(captured.map((message) => message.topic))];
  // One topic per pair, direction and kind carried traffic: the owner's questions to each member and their answers.
  assert.equal(topics.length, 4);
  const correlation = (): IClientPublishOptions => ({ qos: 0, properties: { correlationData: randomBytes(16) } });
  const publish = (topic: string, payload: string | Buffer, options: IClientPublishOptions) =>
    hostile.publishAsync(topic, payload, options);
  for (const topic of topics) {
    await publish(topic, 'not json', correlation());
    await publish(topic, '{}', { qos: 0 });
    await publish(topic, JSON.stringify({ v: 1, nonce: 'A'.repeat(16), box: 'B'.repeat(40) }), correlation());
    await publish(topic, JSON.stringify({ code: 'REVOKED', message: 'You were revoked.' }), correlation());
    await publish(topic, randomBytes(300_000), correlation());
    await publish(topic, JSON.stringify({ v: 1, nonce: 'A'.repeat(16), box: 'B'.repeat(60_000) }), correlation());
  }
  // Every message the pairs sent, again, with its own correlation: the "share on" command among them.
  for (const message of captured) await publish(message.topic, message.payload, message.options);
  for (let i = 0; i < 500; i++) await publish(topics[i % topics.length]!, randomBytes(64), correlation());
  await hostile.endAsync();

  for (const agent of [owner, b, c]) assert.equal(agent.child.exitCode, null);
  // The replayed "share on" was refused: both members still do not share.
  for (const member of [b, c]) assert.equal(await sharing(member), false);
  for (const peer of (await status(owner)).peers) assert.equal(peer.state, 'online', peer.reason);
  const again = await owner.ok<{ results: { ok: boolean }[] }>('fleetCommand', { ids: 'all', command: { type: 'pause', ms: 0 } });
  assert.deepEqual(
    again.results.map((r) => r.ok),
    [true, true],
  );
});

test('`synor fleet list` says how the broker is reached, as the page does: connected, then not once it stops', T, async (t) => {
  if (!broker) return t.skip('mosquitto is not installed: run scripts/system-deps.sh');
  const list = async (): Promise<string> => (await runSynor(SOURCE_SYNOR, owner.home, ['fleet', 'list'])).stdout;
  assert.match(await list(), /^Message broker: connected to 127\.0\.0\.1:\d+\.$/m);
  await broker.stop();
  // Each answer awaited: the agent notices the broker gone when its connection closes.
  while ((await status(owner)).broker?.state !== 'unreachable');
  assert.match(await list(), /^Message broker: can't reach 127\.0\.0\.1:\d+( \(.+\))?\. Check the address and that the broker is running/m);
});
