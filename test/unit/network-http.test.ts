import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { z } from 'zod';
import type { NetworkError } from '../../main/core/network/http.js';
import { backoffMs, checkCoordinatorUrl, requestJson } from '../../main/core/network/http.js';
import { Outbox } from '../../main/core/network/outbox.js';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/fakes.js';
import { outboxEntry } from '../helpers/outbox-entry.js';

test('https everywhere except this machine', { timeout: 120_000 }, () => {
  for (const ok of ['https://coordinator.synor.io', 'http://127.0.0.1:7440', 'http://localhost:1/x', 'http://[::1]:9/']) {
    assert.ok(checkCoordinatorUrl(ok).href.endsWith('/'), ok);
  }
  for (const bad of [
    'http://coordinator.synor.io',
    'http://192.168.1.5:7440',
    'ftp://127.0.0.1',
    'not a url',
    'http://127.0.0.1.evil.com/',
  ]) {
    assert.throws(
      () => checkCoordinatorUrl(bad),
      (e: NetworkError) => e.code === 'INSECURE_URL',
      bad,
    );
  }
});

test('backoff grows exponentially to its cap, with jitter between half and all of each step', { timeout: 120_000 }, () => {
  assert.equal(
    backoffMs(0, () => 0, 500, 60_000),
    250,
  );
  assert.equal(
    backoffMs(0, () => 1, 500, 60_000),
    500,
  );
  assert.equal(
    backoffMs(3, () => 0.5, 500, 60_000),
    3000,
  );
  assert.equal(
    backoffMs(50, () => 1, 500, 60_000),
    60_000,
  );
  assert.equal(
    backoffMs(50, () => 0, 500, 60_000),
    30_000,
  );
});

/** Sockets that carried a request: '/fresh-only' answers on a new connection only, as a server past its keep-alive. */
const used = new WeakSet<object>();
let connections = 0;
const server = createServer((req, res) => {
  const route = req.url ?? '';
  const reused = used.has(req.socket);
  used.add(req.socket);
  if (route === '/fresh-only') return void (reused ? req.socket.destroy() : res.end(JSON.stringify({ n: 1 })));
  if (route === '/ok') return void res.end(JSON.stringify({ n: 1 }));
  if (route === '/big') return void res.end(JSON.stringify({ n: 'x'.repeat(5000) }));
  if (route === '/drip') {
    res.writeHead(200);
    const t = setInterval(() => res.write(' '), 10);
    return void res.on('close', () => clearInterval(t));
  }
  if (route === '/refused') return void res.writeHead(409).end(JSON.stringify({ error: { code: 'replayed', message: 'Again.' } }));
  if (route === '/taken') return void res.writeHead(409).end(JSON.stringify({ error: { code: 'device-taken', message: 'Taken.' } }));
  if (route === '/unauthorized') return void res.writeHead(401).end('{}');
  if (route === '/busy') return void res.writeHead(503).end('down');
  return void res.socket?.destroy();
});
server.on('connection', () => connections++);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
after(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
// A reply that never ends is cut off at DRIP_TIMEOUT_MS; every other call has time to spare on a machine busy twice
// over (at 200 ms for all, a loaded machine's answer of 5,000 bytes came back as a time-out).
const DRIP_TIMEOUT_MS = 200;
const get = (path: string, schema: z.ZodType<unknown> = z.object({ n: z.number() }).strict(), timeoutMs = 30_000) =>
  requestJson(new URL(path, base), { method: 'GET', timeoutMs, maxBytes: 1000, schema });

test('each failure is one coded NetworkError with a sentence', { timeout: 120_000 }, async () => {
  assert.deepEqual(await get('/ok'), { n: 1 });
  const cases: [string, string, RegExp][] = [
    ['/big', 'TOO_LARGE', /at most 1000/],
    ['/drip', 'TIMEOUT', /within/],
    ['/refused', 'REJECTED', /Again\. \(replayed\)/],
    ['/taken', 'DEVICE_TAKEN', /another owner: Taken\. \(device-taken\)/],
    ['/unauthorized', 'UNREGISTERED', /does not know this device/],
    ['/busy', 'SERVER', /HTTP 503/],
    ['/hangup', 'OFFLINE', /Cannot reach/],
  ];
  for (const [path, code, message] of cases) {
    const timeoutMs = path === '/drip' ? DRIP_TIMEOUT_MS : undefined;
    await assert.rejects(get(path, undefined, timeoutMs), (e: NetworkError) => e.code === code && message.test(e.message), path);
  }
  await assert.rejects(
    get('/ok', z.object({ n: z.string() })),
    (e: NetworkError) => e.code === 'BAD_REPLY' && /invalid at "n"/.test(e.message),
  );
});

test('a kept connection the server has dropped is retried once on a new one: the call succeeds', { timeout: 120_000 }, async () => {
  const before = connections;
  for (let i = 0; i < 3; i++) assert.deepEqual(await get('/fresh-only'), { n: 1 });
  assert.ok(connections - before >= 3, `${connections - before} connections: each call after the first needed a new one`);
});

test(
  'the outbox keeps unreadable entries aside instead of deleting them, and ignores half-written temp files',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'broken.json'), '{"version":1,');
    await writeFile(join(dir, 'x.json.123.ab.tmp'), 'partial');
    const loaded = await new Outbox(dir).list();
    assert.equal(loaded.entries.length, 0);
    assert.match(loaded.problems[0] ?? '', /could not be read and was kept as .*broken\.json\.bad/);
    assert.deepEqual((await readdir(dir)).sort(), ['broken.json.bad', 'x.json.123.ab.tmp']);
  },
);

const entry = (taskId: string, floats: number[]) =>
  outboxEntry(taskId, { dtype: 'float32', shape: [floats.length], data: new Uint8Array(Float32Array.from(floats).buffer) });

test(
  'an outbox file is a frame: listed from its header alone, read back with its raw output bytes; a bad one is set aside',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const outbox = new Outbox(dir);
    assert.ok((await outbox.put(entry('a', [1.5, -2]))).ok);
    assert.ok((await outbox.put(entry('b', [3]))).ok);
    const [name] = (await readdir(dir)).filter((n) => n.endsWith('.frame'));
    const bytes = await readFile(join(dir, name!));
    assert.ok(
      bytes.includes(Buffer.from(Float32Array.from([1.5, -2]).buffer)) || bytes.includes(Buffer.from(Float32Array.from([3]).buffer)),
    );
    assert.equal(bytes.indexOf(Buffer.from('AADAPw')), -1, 'no base64 of the outputs');
    const { entries } = await outbox.list();
    assert.deepEqual(entries.map((e) => e.taskId).sort(), ['a', 'b']);
    const a = await outbox.read(entries.find((e) => e.taskId === 'a')!);
    assert.ok(a.ok);
    assert.deepEqual([...new Float32Array(new Uint8Array(a.value.result.outputs['Y']!.data).buffer)], [1.5, -2]);

    // Damaged two ways: cut short (caught by the listing), and bytes that no longer fit the shape (caught on reading).
    const files = (await readdir(dir)).filter((n) => n.endsWith('.frame'));
    const whose = async (taskId: string) => {
      for (const n of files) if ((await readFile(join(dir, n))).includes(Buffer.from(`"${taskId}"`))) return join(dir, n);
      throw new Error(`no file for ${taskId}`);
    };
    const fileA = await whose('a');
    const fileB = await whose('b');
    await writeFile(fileA, (await readFile(fileA)).subarray(0, -3));
    const b = await readFile(fileB);
    await writeFile(fileB, Buffer.from(b.toString('latin1').replace('"shape":[1]', '"shape":[9]'), 'latin1'));
    // Read as a restart reads them: this run's outbox knows its own files' headers and reads only what it sends.
    const restarted = new Outbox(dir);
    const listed = await restarted.list();
    assert.deepEqual(
      listed.entries.map((e) => e.taskId),
      ['b'],
    );
    assert.match(listed.problems[0] ?? '', /could not be read and was kept as .*\.frame\.bad: the file is \d+ bytes, its header says \d+/);
    const readB = await restarted.read(listed.entries[0]!);
    assert.ok(!readB.ok && readB.error.code === 'damaged');
    assert.match(readB.error.message, /kept as .*\.frame\.bad/);
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.bad')).length, 2);
  },
);

test(
  "a sent result's file is written over by the next result, cut to its size; spares are never listed as results",
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const outbox = new Outbox(dir);
    assert.ok(
      (
        await outbox.put(
          entry(
            'big',
            Array.from({ length: 4096 }, (_, i) => i),
          ),
        )
      ).ok,
    );
    await outbox.remove('big');
    const spares = await readdir(dir);
    assert.deepEqual(
      spares.map((n) => n.replace(/[0-9a-f]+$/, '#')),
      ['spare-#'],
      'kept to be written over',
    );
    const { size: bigSize } = await stat(join(dir, spares[0]!));
    assert.deepEqual((await outbox.list()).entries, [], 'a spare is no result');
    assert.ok((await outbox.put(entry('small', [7, 8]))).ok);
    const names = await readdir(dir);
    assert.equal(names.length, 1, 'the spare became the new result');
    assert.ok((await stat(join(dir, names[0]!))).size < bigSize, 'cut to the new content');
    const [small] = (await outbox.list()).entries;
    const read = await outbox.read(small!);
    assert.ok(read.ok);
    assert.deepEqual([...new Float32Array(new Uint8Array(read.value.result.outputs['Y']!.data).buffer)], [7, 8]);
  },
);

test(
  'a result queued by the earlier JSON outbox (base64 outputs) is rewritten as a frame and still sent',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    // As version 0.1.0's outbox wrote it: JSON, version 1, the outputs inline as base64.
    const old = {
      ...entry('old', [0.25, 4]),
      version: 1,
      result: {
        ...entry('old', [0.25, 4]).result,
        outputs: {
          Y: { kind: 'inline', dtype: 'float32', shape: [2], data: Buffer.from(Float32Array.from([0.25, 4]).buffer).toString('base64') },
        },
      },
    };
    await writeFile(join(dir, `${'1'.repeat(32)}.json`), JSON.stringify(old));
    const outbox = new Outbox(dir);
    const { entries, problems } = await outbox.list();
    assert.deepEqual([entries.map((e) => [e.taskId, e.leaseId, e.estimateWei]), problems], [[['old', 'lease-old', '5']], []]);
    const names = await readdir(dir);
    assert.deepEqual(
      names.map((n) => n.replace(/^[0-9a-f]{32}/, '#')),
      ['#.frame'],
    );
    const read = await outbox.read(entries[0]!);
    assert.ok(read.ok);
    assert.deepEqual([...new Float32Array(new Uint8Array(read.value.result.outputs['Y']!.data).buffer)], [0.25, 4]);
  },
);
