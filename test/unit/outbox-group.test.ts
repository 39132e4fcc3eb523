// Group-committed outbox writes (issue 32 item 2): results kept together share one fsync of their file and one of the
// folder, and none counts as kept before that fsync returned. The file port is Node's, with each fsync counted (the
// folder's apart) and, where a test says so, stopped or refused: the disk is the one part faked.
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Outbox } from '../../main/core/network/outbox.js';
import { countingFiles } from '../helpers/counting-files.js';
import { outboxEntry } from '../helpers/outbox-entry.js';
import { tempDir } from '../helpers/fakes.js';

const entry = (taskId: string, byte = 7) => outboxEntry(taskId, { dtype: 'uint8', shape: [1000], data: new Uint8Array(1000).fill(byte) });

const frames = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((name) => name.endsWith('.frame'));
const listed = async (outbox: Outbox): Promise<string[]> => (await outbox.list()).entries.map((e) => e.taskId).sort();

test(
  'results kept together are written with one fsync and one of the folder; one after another, two each',
  { timeout: 60_000 },
  async () => {
    const dir = await tempDir();
    const { port, syncs } = countingFiles(dir);
    const outbox = new Outbox(dir, port);
    const batch = Array.from({ length: 16 }, (_, i) => `batch-${String(i).padStart(2, '0')}`);
    const kept = await Promise.all(batch.map((id, i) => outbox.put(entry(id, i))));
    assert.ok(kept.every((outcome) => outcome.ok));
    assert.deepEqual(syncs, { file: 1, folder: 1 }, 'one group');
    assert.equal((await frames(dir)).length, 1);

    for (const id of ['alone-1', 'alone-2']) assert.ok((await outbox.put(entry(id))).ok);
    assert.deepEqual(syncs, { file: 3, folder: 3 }, 'a result kept alone is a group of one');

    // Each result reads back whole from its place in the group's file, here and after a restart.
    for (const reader of [outbox, new Outbox(dir)]) {
      const { entries } = await reader.list();
      assert.deepEqual(entries.map((e) => e.taskId).sort(), [...batch, 'alone-1', 'alone-2'].sort());
      for (const [i, id] of batch.entries()) {
        const read = await reader.read(entries.find((e) => e.taskId === id)!);
        assert.ok(read.ok);
        assert.deepEqual(read.value.result.outputs['Y']!.data, new Uint8Array(1000).fill(i), id);
      }
    }
  },
);

test(
  'a result is not reported kept before its group fsync returned; a crash before it leaves nothing of the group',
  { timeout: 60_000 },
  async () => {
    const dir = await tempDir();
    const { port, syncs, beforeFileSync } = countingFiles(dir);
    const outbox = new Outbox(dir, port);
    assert.ok((await outbox.put(entry('before'))).ok);

    let reached!: () => void;
    const atSync = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    beforeFileSync.hook = () => (reached(), new Promise<void>((resolve) => (release = resolve)));
    const settled = new Set<string>();
    const put = (id: string) => outbox.put(entry(id)).then((outcome) => (settled.add(id), outcome));
    const group = ['a', 'b', 'c'].map(put);
    await atSync;
    beforeFileSync.hook = undefined;
    const next = put('d'); // kept while the group's fsync runs: the next group
    await new Promise(setImmediate); // a turn of the event loop, for any promise that would wrongly settle now
    assert.deepEqual([...settled], [], 'nothing reported kept while its fsync has not returned');

    // The machine dies here: a restart finds the result kept before, and neither the group nor a half of it.
    assert.deepEqual(await listed(new Outbox(dir)), ['before']);

    release();
    assert.ok((await Promise.all([...group, next])).every((outcome) => outcome.ok));
    assert.deepEqual(syncs, { file: 3, folder: 3 }, 'before, a+b+c, d');
    assert.deepEqual(await listed(new Outbox(dir)), ['a', 'b', 'before', 'c', 'd']);
  },
);

test(
  'a group the disk refuses is held in memory whole, still sent from there, and written as one group later',
  { timeout: 60_000 },
  async () => {
    const dir = await tempDir();
    const { port, syncs, beforeFileSync } = countingFiles(dir);
    const outbox = new Outbox(dir, port);
    beforeFileSync.hook = () => Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    const kept = await Promise.all(['a', 'b', 'c'].map((id) => outbox.put(entry(id))));
    assert.ok(kept.every((outcome) => outcome.ok));
    assert.equal(outbox.heldCount(), 3);
    assert.equal(outbox.heldBecause()?.code, 'DISK_FULL');
    assert.deepEqual(await frames(dir), [], 'no file, and no temp file left');
    const { entries } = await outbox.list();
    assert.deepEqual(entries.map((e) => e.taskId).sort(), ['a', 'b', 'c']);
    const read = await outbox.read(entries[0]!);
    assert.ok(read.ok);

    beforeFileSync.hook = undefined;
    await outbox.writeHeld();
    assert.deepEqual([outbox.heldCount(), outbox.heldBecause()], [0, null]);
    assert.deepEqual(syncs, { file: 2, folder: 1 }, 'the refused group, then one group for the three');
    assert.deepEqual(await listed(new Outbox(dir)), ['a', 'b', 'c']);
  },
);

test("a group's file goes with its last result sent; a restart before that lists the sent ones again", { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  const outbox = new Outbox(dir);
  await Promise.all(['a', 'b', 'c'].map((id) => outbox.put(entry(id))));
  await outbox.remove('a');
  await outbox.remove('b');
  assert.deepEqual(await listed(outbox), ['c']);
  // Sending them again is safe: the coordinator answers duplicate (docs/protocol.md, the outbox's promise).
  assert.deepEqual(await listed(new Outbox(dir)), ['a', 'b', 'c']);
  await outbox.remove('c');
  assert.deepEqual(await frames(dir), [], 'the file went with the last result');
  assert.deepEqual(await listed(new Outbox(dir)), []);
});

test('a group file damaged while queued is set aside whole when a result of it is read', { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  const outbox = new Outbox(dir);
  await Promise.all(['a', 'b'].map((id) => outbox.put(entry(id))));
  const [name] = await frames(dir);
  await writeFile(join(dir, name!), 'cut');
  const { entries } = await outbox.list();
  const first = await outbox.read(entries[0]!);
  assert.ok(!first.ok && first.error.code === 'damaged');
  assert.match(first.error.message, /kept as .*\.frame\.bad/);
  const second = await outbox.read(entries[1]!);
  assert.ok(!second.ok && second.error.code === 'gone', 'its group is set aside with it');
  assert.deepEqual(await listed(outbox), []);
  assert.deepEqual(await readdir(dir), [`${name}.bad`]);
});

test('a version 1 file whose upgrade the disk refused goes once its result is written as a frame', { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  const old = entry('old');
  const legacy = {
    ...old,
    version: 1,
    result: {
      ...old.result,
      outputs: { Y: { kind: 'inline', dtype: 'uint8', shape: [1000], data: Buffer.alloc(1000, 7).toString('base64') } },
    },
  };
  await writeFile(join(dir, `${'1'.repeat(32)}.json`), JSON.stringify(legacy));
  const { port, beforeFileSync } = countingFiles(dir);
  const outbox = new Outbox(dir, port);
  beforeFileSync.hook = () => Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
  assert.deepEqual(await listed(outbox), ['old']);
  assert.equal(outbox.heldCount(), 1);
  assert.deepEqual(await readdir(dir), [`${'1'.repeat(32)}.json`], 'kept while the disk refuses its upgrade');

  beforeFileSync.hook = undefined;
  await outbox.writeHeld();
  assert.deepEqual(
    (await readdir(dir)).map((name) => name.replace(/^[0-9a-f]{32}/, '#')),
    ['#.frame'],
    'the frame replaced it',
  );
  assert.deepEqual(await listed(outbox), ['old']);
  await outbox.remove('old');
  assert.deepEqual(await listed(new Outbox(dir)), []);
});
