import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diskRefusal, refusalAdvice } from '../../main/core/fs/disk-refusal.js';

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
