import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { test } from 'node:test';
import { diskRefusal, refusalAdvice } from '../../main/core/fs/disk-refusal.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { tempDir } from '../helpers/fakes.js';
import { leaseOne, quickResult, testDevice } from '../integration/support/network.js';

test('too many open files is named as such, with what to do, never as a full disk', { timeout: 10_000 }, () => {
  for (const code of ['EMFILE', 'ENFILE']) {
    const why = diskRefusal(Object.assign(new Error('too many open files'), { code }));
    assert.deepEqual(why, { code: 'TOO_MANY_OPEN', message: 'too many files are open at once' });
    assert.doesNotMatch(refusalAdvice(why ?? { code: 'DISK_FULL', message: '' }), /disk/i);
  }
  const full = diskRefusal(Object.assign(new Error('full'), { code: 'ENOSPC' }));
  assert.deepEqual(full, { code: 'DISK_FULL', message: 'the disk is full' });
  assert.match(refusalAdvice(full ?? { code: 'NOT_WRITABLE', message: '' }), /Free some disk space/);
  const denied = diskRefusal(Object.assign(new Error('denied'), { code: 'EACCES' }));
  assert.doesNotMatch(denied?.message ?? '', /EACCES/, 'no raw error codes in words the user reads');
  assert.equal(denied?.code, 'NO_PERMISSION');
  assert.equal(diskRefusal(Object.assign(new Error('misuse'), { code: 'ERR_INVALID_ARG_TYPE' })), null);
});

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
