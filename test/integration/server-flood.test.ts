import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeDoor, doorFailures, floodHeadless } from '../soak/flood.js';

/**
 * Issue 26: a local process without the token used to take every file descriptor of the agent (idle connections up
 * to EMFILE), hold slowloris connections and slow bodies for minutes, and log a line per connection. Against the real
 * headless agent with its limit on open files lowered to 1024, a flood nearly twice that size must leave it its
 * descriptors, answer the page's calls throughout, cut the slow ones and log a handful of lines.
 */
test('a flood of connections without the token never starves the agent, and the API answers throughout', { timeout: 180_000 }, async () => {
  const size = { idle: 1500, slowloris: 400, deadlineMs: 30_000 };
  const outcome = await floodHeadless(size);
  console.log(describeDoor(outcome, size));
  assert.deepEqual(doorFailures(outcome, size), []);
  assert.equal(outcome.held, 0, 'every connection of the flood was closed by the agent');
});
