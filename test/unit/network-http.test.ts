import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { z } from 'zod';
import type { NetworkError } from '../../main/core/network/http.js';
import { backoffMs, checkCoordinatorUrl, requestJson } from '../../main/core/network/http.js';
import { bodyChunks } from '../../main/core/network/body.js';
import { Outbox } from '../../main/core/network/outbox.js';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/fakes.js';

test('https everywhere except this machine', () => {
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

test('backoff grows exponentially to its cap, with jitter between half and all of each step', () => {
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

const server = createServer((req, res) => {
  const route = req.url ?? '';
  if (route === '/ok') return void res.end(JSON.stringify({ n: 1 }));
  if (route === '/big') return void res.end(JSON.stringify({ n: 'x'.repeat(5000) }));
  if (route === '/drip') {
    res.writeHead(200);
    const t = setInterval(() => res.write(' '), 10);
    return void res.on('close', () => clearInterval(t));
  }
  if (route === '/refused') return void res.writeHead(409).end(JSON.stringify({ error: { code: 'device-taken', message: 'Taken.' } }));
  if (route === '/unauthorized') return void res.writeHead(401).end('{}');
  if (route === '/busy') return void res.writeHead(503).end('down');
  return void res.socket?.destroy();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
after(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const get = (path: string, schema: z.ZodType<unknown> = z.object({ n: z.number() }).strict()) =>
  requestJson(new URL(path, base), { method: 'GET', timeoutMs: 200, maxBytes: 1000, schema });

test('each failure is one coded NetworkError with a sentence', async () => {
  assert.deepEqual(await get('/ok'), { n: 1 });
  const cases: [string, string, RegExp][] = [
    ['/big', 'TOO_LARGE', /at most 1000/],
    ['/drip', 'TIMEOUT', /within/],
    ['/refused', 'REJECTED', /Taken\. \(device-taken\)/],
    ['/unauthorized', 'UNREGISTERED', /does not know this device/],
    ['/busy', 'SERVER', /HTTP 503/],
    ['/hangup', 'OFFLINE', /Cannot reach/],
  ];
  for (const [path, code, message] of cases) {
    await assert.rejects(get(path), (e: NetworkError) => e.code === code && message.test(e.message), path);
  }
  await assert.rejects(
    get('/ok', z.object({ n: z.string() })),
    (e: NetworkError) => e.code === 'BAD_REPLY' && /invalid at "n"/.test(e.message),
  );
});

test('the outbox keeps unreadable entries aside instead of deleting them, and ignores half-written temp files', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'broken.json'), '{"version":1,');
  await writeFile(join(dir, 'x.json.123.ab.tmp'), 'partial');
  const loaded = await new Outbox(dir).load();
  assert.equal(loaded.entries.length, 0);
  assert.match(loaded.problems[0] ?? '', /could not be read and was kept as .*broken\.json\.bad/);
  assert.deepEqual((await readdir(dir)).sort(), ['broken.json.bad', 'x.json.123.ab.tmp']);
});

test("a body read that never settles still ends when its signal aborts, with the signal's reason, and is cancelled", async () => {
  // Node's fetch can leave the read pending after an abort mid-body (nodejs/node#56917): a stream whose second read
  // never settles behaves the same way, without depending on the race that shows the bug in fetch.
  let cancelled = false;
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull: (controller) => {
        if (pulls++ === 0) controller.enqueue(Uint8Array.of(1));
        return new Promise<void>(() => undefined);
      },
      cancel: () => void (cancelled = true),
    },
    { highWaterMark: 0 },
  );
  const stop = new AbortController();
  const got: number[] = [];
  const reading = (async () => {
    for await (const chunk of bodyChunks(body, stop.signal)) {
      got.push(...chunk);
      stop.abort(new Error('not done within 1 s'));
    }
  })();
  await assert.rejects(reading, /not done within 1 s/);
  assert.deepEqual(got, [1]);
  assert.ok(cancelled, 'the stream was cancelled');
  // Already aborted: no read at all.
  await assert.rejects(
    (async () => {
      for await (const _ of bodyChunks(new ReadableStream(), stop.signal)) assert.fail(String(_));
    })(),
    /not done/,
  );
});
