import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireInstanceLock, type InstanceLock, type LockInfo } from '../../main/core/instance-lock.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless } from '../helpers/headless.js';
import { smallDisk } from '../helpers/small-disk.js';

// The built agent (npm test builds dist/ first, as for the CLI's tests): from source each start compiled all of core.
const HEADLESS = ['dist/main/headless.js', '--port', '0'];

/** A pid that surely belongs to no process: one that ran and was reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

/** The lock taken, or a failed assertion saying what was found instead. */
function taken(got: Awaited<ReturnType<typeof acquireInstanceLock>>): InstanceLock {
  assert.ok(got.ok && got.value.acquired, JSON.stringify(got));
  return got.value.lock;
}

test('the lock: exclusive while its owner lives, taken over when the owner is dead or the file is torn', { timeout: 30_000 }, async () => {
  const dir = await tempDir('synor-lock-');
  const first = taken(await acquireInstanceLock(dir));
  assert.equal((await stat(first.file)).mode & 0o777, 0o600, 'the link carries the token');
  assert.equal(await first.setUrl('http://127.0.0.1:1234/#token=abc'), true);
  // Another live process (this test's parent) asking for the same folder is told who runs it.
  const second = await acquireInstanceLock(dir, process.ppid);
  const written = JSON.parse(await readFile(first.file, 'utf8')) as LockInfo;
  assert.deepEqual(second.ok && !second.value.acquired ? second.value.running : second, {
    pid: process.pid,
    startedAt: written.startedAt,
    processStart: written.processStart,
    url: 'http://127.0.0.1:1234/#token=abc',
  });
  await first.release();

  const dead = await deadPid();
  await writeFile(join(dir, 'agent.lock'), JSON.stringify({ pid: dead, startedAt: 1 }));
  const afterCrash = taken(await acquireInstanceLock(dir));
  await afterCrash.release();

  await writeFile(join(dir, 'agent.lock'), '{"pid": 12');
  const afterTorn = taken(await acquireInstanceLock(dir));
  // release() removes only our own lock: a lock another agent took meanwhile stays.
  await writeFile(afterTorn.file, JSON.stringify({ pid: process.ppid, startedAt: 2 }));
  await afterTorn.release();
  assert.equal(JSON.parse(await readFile(afterTorn.file, 'utf8')).pid, process.ppid);
});

test('a fifo in the way of the lock is set aside without being read (a read would wait forever)', { timeout: 30_000 }, async (t) => {
  const dir = await tempDir('synor-lock-fifo-');
  if (spawnSync('mkfifo', [join(dir, 'agent.lock')]).status !== 0) return t.skip('no mkfifo here');
  const got = await acquireInstanceLock(dir);
  assert.ok(got.ok && got.value.acquired, JSON.stringify(got));
  assert.match(got.value.setAside ?? '', /^agent\.lock\.bad-/);
  assert.ok((await lstat(join(dir, got.value.setAside!))).isFIFO(), 'kept, only renamed');
  await got.value.lock.release();
});

test(
  'a full disk refuses the lock in plain words and leaves no lock behind; with room it is taken, and a link it cannot save is no crash',
  { timeout: 60_000 },
  async (t) => {
    const disk = await smallDisk();
    if ('skipped' in disk) return t.skip(disk.skipped);
    try {
      const dir = join(disk.dir, 'data');
      await mkdir(dir);
      await disk.fill();
      const got = await acquireInstanceLock(dir);
      assert.deepEqual(got, {
        ok: false,
        error: { code: 'STORAGE', message: `The disk holding ${dir} is full: free some space and start again.` },
      });
      assert.deepEqual(await readdir(dir), [], 'no empty lock file left');
      await disk.free();
      const lock = taken(await acquireInstanceLock(dir));
      // Full again once it runs: its link cannot be published, and the lock it holds stays whole.
      await disk.fill();
      const before = await readFile(lock.file, 'utf8');
      assert.equal(await lock.setUrl('http://127.0.0.1:1234/#token=abc'), false);
      assert.equal(await readFile(lock.file, 'utf8'), before);
      await lock.release();
      assert.deepEqual(await readdir(dir), [], 'released, no temp file left');
    } finally {
      await disk.close();
    }
  },
);

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
    assert.match(third.output(), /\(headless\) is running/);
    const lock = JSON.parse(await readFile(join(home, 'data', 'agent.lock'), 'utf8'));
    assert.deepEqual([lock.pid, lock.url], [third.child.pid, third.url]);
  } finally {
    await third.stop();
  }
  // Stopped by its own handler, not by the signal's default action: the link was printed before it listened once.
  assert.deepEqual([third.child.exitCode, third.child.signalCode], [0, null]);
  await assert.rejects(readFile(join(home, 'data', 'agent.lock')), { code: 'ENOENT' }, 'a clean stop releases the lock');
});
