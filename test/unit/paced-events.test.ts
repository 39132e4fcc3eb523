import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type { AgentEvent, AgentState } from '../../main/common/state.js';
import { pacedEvents } from '../../main/core/paced-events.js';

// Only the paced order matters here, so a state is told apart by a number standing in for it.
const state = (n: number): AgentEvent => ({ type: 'state', state: n as unknown as AgentState });
const activity = (message: string): AgentEvent => ({ type: 'activity', entry: { at: 0, kind: 'network', message } });
const names = (events: AgentEvent[]) => events.map((e) => (e.type === 'state' ? `state ${String(e.state)}` : e.entry.message));

function harness() {
  const heard: AgentEvent[] = [];
  return { heard, paced: pacedEvents((event) => heard.push(event), 250) };
}

// The timers are mocked for these tests only (in the whole suite, every unit file shares one process).
describe('paced events', { timeout: 60_000 }, () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('a state after a quiet spell is sent at once; a burst sends its newest when the gap ends', { timeout: 60_000 }, () => {
    const { heard, paced } = harness();
    paced.send(state(1));
    assert.deepEqual(names(heard), ['state 1']);
    for (const n of [2, 3, 4]) paced.send(state(n));
    mock.timers.tick(249);
    assert.deepEqual(names(heard), ['state 1'], 'held back for the gap');
    mock.timers.tick(1);
    assert.deepEqual(names(heard), ['state 1', 'state 4'], 'the newest, not each');
    mock.timers.tick(250);
    assert.deepEqual(names(heard), ['state 1', 'state 4'], 'nothing new, nothing sent');
    mock.timers.tick(1_000);
    paced.send(state(5));
    assert.deepEqual(names(heard), ['state 1', 'state 4', 'state 5'], 'quiet again: at once');
  });

  test('other events go at once, after the state that came before them', { timeout: 60_000 }, () => {
    const { heard, paced } = harness();
    paced.send(state(1));
    paced.send(state(2));
    paced.send(activity('sharing on'));
    assert.deepEqual(names(heard), ['state 1', 'state 2', 'sharing on']);
    mock.timers.tick(250);
    assert.deepEqual(names(heard), ['state 1', 'state 2', 'sharing on'], 'the state was not sent twice');
  });

  test('stopped, nothing waiting is sent', { timeout: 60_000 }, () => {
    const { heard, paced } = harness();
    paced.send(state(1));
    paced.send(state(2));
    paced.stop();
    mock.timers.tick(1_000);
    assert.deepEqual(names(heard), ['state 1']);
  });
});
