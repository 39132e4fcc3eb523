import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogTally } from '../../main/core/server/log-tally.js';
import { MemoryLogger } from '../helpers/fakes.js';

test('a flood of warnings is one line at once and one summary, not a line each', { timeout: 10_000 }, () => {
  const logger = new MemoryLogger();
  const tally = new LogTally(logger, 'HTTP');
  for (let i = 0; i < 10_000; i++) tally.note('connections closed');
  tally.note('requests too slow to arrive');
  assert.deepEqual(logger.lines, ['warn HTTP: connections closed']);
  tally.flush();
  assert.deepEqual(logger.lines.slice(1), [
    'warn HTTP: 10000 more since the last line (9999 connections closed; 1 requests too slow to arrive)',
  ]);
  tally.note('connections closed');
  tally.close();
  assert.equal(logger.lines.length, 3, 'a spell still going on is summarised, not said afresh');
  assert.match(logger.lines[2]!, /1 more since the last line/);
  tally.note('connections closed');
  assert.equal(logger.lines.at(-1), 'warn HTTP: connections closed', 'after a quiet spell the first is said at once');
  tally.close();
});
