// The activity log's own news (core/activity-news.ts): the network going offline and coming back is said once each
// way, and notifications are filed by what they are about, so good news is never under "Problems" (issue 28 item 5).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TellKindSchema } from '../../main/common/settings.js';
import type { AgentState } from '../../main/common/state.js';
import { networkNews, tellFiled, type NetworkMemory } from '../../main/core/activity-news.js';
import { testAgent } from '../helpers/agent.js';

async function baseState(): Promise<AgentState> {
  const { agent } = await testAgent();
  const state = agent.state();
  await agent.close();
  return state;
}

const NETWORK = { message: '', url: 'http://127.0.0.1:1/', devnet: true, label: 'devnet', activeLeases: 0, retryAt: null };
type Code = NonNullable<AgentState['work']['network']>['code'];
const withNetwork = (base: AgentState, code: Code | null, queued = 0): AgentState => ({
  ...base,
  work: { ...base.work, network: code === null ? null : { ...NETWORK, code, queued } },
});

function said(states: AgentState[]): string[] {
  let memory: NetworkMemory = null;
  return states.flatMap((state) => {
    const out = networkNews(state, memory);
    memory = out.memory;
    return out.said === null ? [] : [out.said];
  });
}

test('offline and back are each said once, retries and reconnecting in between say nothing', { timeout: 60_000 }, async () => {
  const base = await baseState();
  const at = (code: Code | null, queued = 0) => withNetwork(base, code, queued);
  const lines = said([
    at(null),
    at('connecting'),
    at('connected'),
    at('offline', 3),
    at('offline', 4),
    at('connecting'),
    at('offline'),
    at('no-work'),
    at('connected'),
  ]);
  assert.deepEqual(lines, [
    'The network cannot be reached. Finished work (3 results) is kept and sent once it is back; new work waits.',
    'The network can be reached again: work goes on.',
  ]);
});

test('a start without the network says so; a start with it says nothing', { timeout: 60_000 }, async () => {
  const base = await baseState();
  assert.deepEqual(said([withNetwork(base, 'connecting'), withNetwork(base, 'offline')]), [
    'The network cannot be reached. Finished work is kept and sent once it is back; new work waits.',
  ]);
  assert.deepEqual(said([withNetwork(base, 'connecting'), withNetwork(base, 'connected'), withNetwork(base, 'error')]), []);
});

test('notifications are filed by kind: only a device that stopped working is a problem', { timeout: 60_000 }, () => {
  const filed = Object.fromEntries(TellKindSchema.options.map((kind) => [kind, tellFiled(kind)]));
  assert.deepEqual(filed, {
    pause: 'policy',
    wallet: 'wallet',
    claim: 'wallet',
    device: 'notice',
    network: 'network',
    update: 'status',
    fleet: 'notice',
  });
});
