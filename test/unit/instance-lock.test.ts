// The instance lock's judgement of a lock it finds (issue 26 item 7), with real files, this machine's real processes
// (this test and its parent, both alive) and real servers on 127.0.0.1. Starting real agents: test/integration.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireInstanceLock, type LockInfo, type LockResult } from '../../main/core/instance-lock.js';
import { processStart } from '../../main/core/lock/process-start.js';
import { startServer } from '../../main/core/server/http.js';
import { startRefusal } from '../../main/core/start-refusal.js';
import { testAgent } from '../helpers/agent.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';

/** A data folder whose agent.lock holds `lock`. */
async function folderWith(lock: unknown): Promise<string> {
  const dir = await tempDir('synor-lock-unit-');
  await writeFile(join(dir, 'agent.lock'), JSON.stringify(lock));
  return dir;
}

/** What a start finds: the lock taken (then let go again) or who runs. */
async function verdict(dir: string): Promise<'taken' | LockInfo> {
  const got = await acquireInstanceLock(dir);
  assert.ok(got.ok, JSON.stringify(got));
  if (!got.value.acquired) return got.value.running;
  await got.value.lock.release();
  return 'taken';
}

const acquired = (got: Awaited<ReturnType<typeof acquireInstanceLock>>): Extract<LockResult, { acquired: true }> => {
  assert.ok(got.ok && got.value.acquired, JSON.stringify(got));
  return got.value;
};

/** This machine's boot time in ms (Linux /proc/stat btime). */
async function bootMs(): Promise<number> {
  return Number(/^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))![1]) * 1000;
}

/** A plain web server that is not an agent, as may listen on a stale lock's port after a reboot. */
async function otherServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

const linux = process.platform === 'linux';
const token = 'ab'.repeat(32);

test('the lock records where its owner started, read from /proc', { timeout: 60_000, skip: !linux && 'needs /proc' }, async () => {
  const dir = await tempDir('synor-lock-unit-');
  const mine = acquired(await acquireInstanceLock(dir));
  const written = JSON.parse(await readFile(mine.lock.file, 'utf8')) as LockInfo;
  const start = (await processStart(process.pid))!;
  assert.deepEqual(written.processStart, { boot: start.boot, ticks: start.ticks });
  assert.ok(start.atMs <= written.startedAt, 'the process started before it took the lock');
  await mine.lock.release();
});

test('a lock naming a live program that did not take it is stale', { timeout: 60_000, skip: !linux && 'needs /proc' }, async () => {
  // This test's parent is alive and is no agent: it stands for the program a reused pid belongs to.
  const otherRun = { pid: process.ppid, startedAt: Date.now(), processStart: { boot: 'an-earlier-boot', ticks: 1 } };
  assert.equal(await verdict(await folderWith(otherRun)), 'taken', 'recorded start from another boot');
  const start = (await processStart(process.ppid))!;
  const laterTicks = { ...otherRun, processStart: { boot: start.boot, ticks: start.ticks + 1 } };
  assert.equal(await verdict(await folderWith(laterTicks)), 'taken', 'same boot, another start');
  // A lock in the format before the start was recorded, written a minute before this machine booted.
  assert.equal(await verdict(await folderWith({ pid: process.ppid, startedAt: (await bootMs()) - 60_000 })), 'taken');
});

test(
  'a live owner whose start matches is respected, with or without its link',
  { timeout: 60_000, skip: !linux && 'needs /proc' },
  async () => {
    const start = (await processStart(process.ppid))!;
    const starting = { pid: process.ppid, startedAt: Date.now(), processStart: { boot: start.boot, ticks: start.ticks } };
    assert.deepEqual(await verdict(await folderWith(starting)), starting, 'still starting (no link yet) or the desktop app');
    // Its link answers nothing (its server closing at quit): the matching start still holds the folder.
    const quitting = { ...starting, url: `http://127.0.0.1:9/#token=${token}` };
    assert.deepEqual(await verdict(await folderWith(quitting)), quitting);
    // The format before the start was recorded: a process that started before the lock may be its owner.
    const older = { pid: process.ppid, startedAt: Date.now() };
    assert.deepEqual(await verdict(await folderWith(older)), older);
  },
);

test(
  'the link decides: an agent answering with the lock token holds the folder, another program on that port does not',
  { timeout: 60_000 },
  async () => {
    const { agent } = await testAgent();
    const server = await startServer({ agent, logger: new MemoryLogger(), rendererDir: await tempDir(), port: 0 });
    const web = await otherServer();
    try {
      // A start that does not match (as where it cannot be compared): the answer on the link is what is left.
      const notMatching = { pid: process.ppid, startedAt: Date.now(), processStart: { boot: 'an-earlier-boot', ticks: 1 } };
      const live = { ...notMatching, url: server.url };
      assert.deepEqual(await verdict(await folderWith(live)), live, 'a live agent answers its API');
      assert.equal(await verdict(await folderWith({ ...notMatching, url: `http://127.0.0.1:${web.port}/#token=${token}` })), 'taken');
      const wrongToken = { ...notMatching, url: `http://127.0.0.1:${server.port}/#token=${token}` };
      assert.equal(await verdict(await folderWith(wrongToken)), 'taken', 'an agent of another run does not answer this token');
      // Only 127.0.0.1 is asked: a link elsewhere is no agent of this machine's.
      assert.equal(
        await verdict(await folderWith({ ...notMatching, url: `http://localhost:${server.port}/#token=${server.token}` })),
        'taken',
      );
    } finally {
      await web.close();
      await server.close();
      await agent.close();
    }
  },
);

test('a lock path that is not a plain file is set aside, kept, and the lock taken', { timeout: 60_000 }, async () => {
  const now = Date.parse('2026-01-02T03:04:05.678Z');
  for (const [what, make] of [
    ['a directory', (file: string) => mkdir(join(file, 'inside'), { recursive: true })],
    ['a link', (file: string) => symlink('/dev/zero', file)],
    ['a file far too large for a lock', (file: string) => writeFile(file, Buffer.alloc(1024 ** 2))],
  ] as const) {
    const dir = await tempDir('synor-lock-unit-');
    await make(join(dir, 'agent.lock'));
    const mine = acquired(await acquireInstanceLock(dir, process.pid, now));
    assert.equal(mine.setAside, 'agent.lock.bad-2026-01-02T03-04-05-678Z', what);
    assert.ok((await stat(mine.lock.file)).isFile(), what);
    assert.deepEqual((await readdir(dir)).sort(), ['agent.lock', 'agent.lock.bad-2026-01-02T03-04-05-678Z'], what);
    await mine.lock.release();
  }
});

test('an unreadable lock is set aside', { timeout: 60_000, skip: process.getuid?.() === 0 && 'root reads every file' }, async () => {
  const dir = await folderWith({ pid: process.ppid, startedAt: Date.now() });
  await chmod(join(dir, 'agent.lock'), 0o000);
  const mine = acquired(await acquireInstanceLock(dir));
  assert.match(mine.setAside ?? '', /^agent\.lock\.bad-/);
  await mine.lock.release();
});

test('a disk that refuses the folder is said in plain words, naming the folder concerned', { timeout: 60_000 }, () => {
  const error = (code: string, path?: string) => Object.assign(new Error(`${code}: raw`), { code, path });
  const folders = ['/home/ada/data', '/home/ada/config'] as const;
  assert.deepEqual(startRefusal(error('ENOSPC', '/home/ada/config/settings.json'), folders), {
    code: 'STORAGE',
    message: 'The disk holding /home/ada/config is full: free some space and start again.',
  });
  assert.equal(
    startRefusal(error('ENOSPC'), folders)?.message,
    'The disk holding /home/ada/data is full: free some space and start again.',
  );
  for (const code of ['EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EEXIST']) {
    const words = startRefusal(error(code, '/home/ada/data/agent.lock'), folders)?.message ?? '';
    assert.ok(words.includes('/home/ada/data') && words.endsWith('start again.'), `${code}: ${words}`);
    assert.doesNotMatch(words, /E[A-Z]{3,}/, 'no error code');
  }
  // Not the disk's: a bug, thrown on with its stack.
  assert.equal(startRefusal(error('ERR_INVALID_ARG_TYPE'), folders), null);
  assert.equal(startRefusal(new TypeError('x is undefined'), folders), null);
});
