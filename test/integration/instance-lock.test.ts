import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireInstanceLock } from '../../main/core/instance-lock.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless } from '../helpers/headless.js';

const HEADLESS = ['--import', 'tsx', 'main/core/headless.ts', '--port', '0'];

/** A pid that surely belongs to no process: one that ran and was reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

test('the lock: exclusive while its owner lives, taken over when the owner is dead or the file is torn', { timeout: 30_000 }, async () => {
  const dir = await tempDir('synor-lock-');
  const first = await acquireInstanceLock(dir);
  assert.ok(first.acquired);
  assert.equal((await stat(first.lock.file)).mode & 0o777, 0o600, 'the link carries the token');
  await first.lock.setUrl('http://127.0.0.1:1234/#token=abc');
  // Another live process (this test's parent) asking for the same folder is told who runs it.
  const second = await acquireInstanceLock(dir, process.ppid);
  assert.deepEqual(second.acquired ? null : second.running, {
    pid: process.pid,
    startedAt: JSON.parse(await readFile(first.lock.file, 'utf8')).startedAt,
    url: 'http://127.0.0.1:1234/#token=abc',
  });
  await first.lock.release();

  const dead = await deadPid();
  await writeFile(join(dir, 'agent.lock'), JSON.stringify({ pid: dead, startedAt: 1 }));
  const afterCrash = await acquireInstanceLock(dir);
  assert.ok(afterCrash.acquired, 'a dead owner leaves a stale lock');
  await afterCrash.lock.release();

  await writeFile(join(dir, 'agent.lock'), '{"pid": 12');
  const afterTorn = await acquireInstanceLock(dir);
  assert.ok(afterTorn.acquired, 'a torn lock file is stale');
  // release() removes only our own lock: a lock another agent took meanwhile stays.
  await writeFile(afterTorn.lock.file, JSON.stringify({ pid: process.ppid, startedAt: 2 }));
  await afterTorn.lock.release();
  assert.equal(JSON.parse(await readFile(afterTorn.lock.file, 'utf8')).pid, process.ppid);
});

test("two real headless starts on one data folder: the second prints the first one's link and exits 0", { timeout: 120_000 }, async () => {
  const home = await tempDir('synor-two-');
  const first = await startHeadless(home, HEADLESS);
  try {
    const second = await startHeadless(home, HEADLESS);
    const [code] = (await once(second.child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.match(second.output(), /already running \(process \d+\)/);
    assert.equal(second.url, first.url, "the running agent's own link");
    assert.equal(((await rpc(first, 'getState')) as { ok: boolean }).ok, true, 'the first one is untouched');
  } finally {
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
  }
  // killed with -9: no clean-up ran, the lock is stale, and the next start takes over.
  const third = await startHeadless(home, HEADLESS);
  try {
    assert.notEqual(third.url, first.url);
    assert.match(third.output(), /\(headless\) is running/);
    const lock = JSON.parse(await readFile(join(home, 'data', 'agent.lock'), 'utf8'));
    assert.deepEqual([lock.pid, lock.url], [third.child.pid, third.url]);
  } finally {
    await third.stop();
  }
  await assert.rejects(readFile(join(home, 'data', 'agent.lock')), { code: 'ENOENT' }, 'a clean stop releases the lock');
});
