import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEarningsBook } from '../../main/core/network/earnings-book.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';

test('a history whose check fails says so once, where it is awaited, and its audit has nothing to add', { timeout: 30_000 }, async () => {
  const dataDir = await tempDir();
  // What the check is made against cannot be read: a folder where the network's file should be.
  await mkdir(join(dataDir, 'network', 'client.json'), { recursive: true });
  const book = await openEarningsBook({ dataDir, clock: new FakeClock(0), logger: new MemoryLogger(), detailDays: () => 7 });
  await assert.rejects(book.ready, /EISDIR/);
  // Rejected, it would be an unhandled rejection in the agent, which waits on it only with a `then`.
  assert.equal(await book.audited, null);
  await book.close();
});
