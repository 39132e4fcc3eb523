// Every file descriptor taken, as a flood of connections did to the agent: a finished result that cannot be saved
// says so in the status, not that the disk is full. In a process of its own: the descriptors are the whole process's,
// and beside other tests (the unit files share one process) any of theirs closing a file gave one back mid-test.
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { test } from 'node:test';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { tempDir } from '../helpers/fakes.js';
import { leaseOne, quickResult, testDevice } from './support/network.js';

/** Holds every file descriptor the process may still open, as a flood did to the agent, until `release`. */
function exhaustDescriptors(): { release(): void } {
  const held: number[] = [];
  for (;;) {
    try {
      held.push(openSync('/dev/null', 'r'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EMFILE') throw error;
      return { release: () => held.forEach((fd) => closeSync(fd)) };
    }
  }
}

test(
  'a result that cannot be saved because every file descriptor is taken: the status names that, not the disk',
  { timeout: 60_000 },
  async () => {
    const net = await startCoordinator({ verifyRate: 0, maxLeaseWaitMs: 500 });
    const { client } = await testDevice(net.url, { dataDir: await tempDir(), leaseWaitMs: 200 });
    try {
      const { leaseId, task } = await leaseOne(client);
      const fds = exhaustDescriptors();
      try {
        await client.complete(leaseId, quickResult(task));
        const { message } = client.status();
        assert.match(message, /New work is paused: too many files are open at once/);
        assert.doesNotMatch(message, /disk/i);
      } finally {
        fds.release();
      }
      await client.flush();
      assert.doesNotMatch(client.status().message, /paused/, 'saved and sent once descriptors are free again');
    } finally {
      await client.close();
      await net.close();
    }
  },
);
