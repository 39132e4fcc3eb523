// Downloads that stop when unwanted, and no LAN probing (issue 26): the address guard on its own (no traffic to any
// private range: only addresses are checked), then the real model cache and scheduler against a server on 127.0.0.1
// that counts its connections, for a coordinator treated as remote and as this machine's own.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { isLoopbackHost, isPublicAddress, REFUSED_SOURCE } from '../../main/core/network/public-address.js';
import { ModelCache, NOT_WANTED } from '../../main/core/runtime/model-cache.js';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';
import { decided, matmulTask, running, sha256, testRuntime, testScheduler } from '../helpers/runtime-fixtures.js';

/**
 * Serves `bytes` at any path: the headers and the first `first` bytes at once, the rest when `finish()` is called.
 * Counts the connections made to it, and says when a response it is holding is closed by the client.
 */
class HoldServer {
  connections = 0;
  private readonly held = new Set<ServerResponse>();
  /** Held responses no test has taken yet, and tests waiting for the next one. */
  private readonly unclaimed: ServerResponse[] = [];
  private readonly waiting: ((res: ServerResponse) => void)[] = [];
  private server: Server | undefined;
  base = '';

  constructor(
    private readonly bytes: Uint8Array,
    private readonly first: number,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': this.bytes.length });
      res.write(this.bytes.subarray(0, this.first));
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      const waiter = this.waiting.shift();
      if (waiter) waiter(res);
      else this.unclaimed.push(res);
    });
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next response being held (its first bytes sent), in the order requests came. */
  holding(): Promise<ServerResponse> {
    const res = this.unclaimed.shift();
    return res ? Promise.resolve(res) : new Promise((resolve) => this.waiting.push(resolve));
  }

  finish(): void {
    for (const res of this.held) res.end(this.bytes.subarray(this.first));
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }
}

const cacheFor = async (publicOnly: boolean): Promise<{ cache: ModelCache; lines: string[] }> => {
  const ports = fakePorts();
  const cache = new ModelCache({
    dir: await tempDir('synor-dl-'),
    capBytes: 1 << 20,
    clock: ports.clock,
    logger: ports.logger,
    publicOnly: () => publicOnly,
  });
  return { cache, lines: ports.logger.lines };
};

describe('the address guard', { timeout: 120_000 }, () => {
  test(
    'refuses loopback, private, link-local, metadata, CGNAT, unspecified, multicast and their IPv4-mapped forms',
    { timeout: 120_000 },
    () => {
      const refused = [
        '127.0.0.1',
        '127.255.0.9',
        '10.255.255.1',
        '172.16.0.1',
        '172.31.255.255',
        '192.168.1.1',
        '169.254.169.254',
        '100.64.0.1',
        '100.127.255.255',
        '0.0.0.0',
        '224.0.0.251',
        '255.255.255.255',
        '::',
        '::1',
        'fc00::1',
        'fd12:3456::1',
        'fe80::1',
        'ff02::1',
        '::ffff:10.0.0.1',
        '::ffff:127.0.0.1',
        '::ffff:a9fe:a9fe', // 169.254.169.254, written in hex
        'not-an-address',
      ];
      assert.deepEqual(
        refused.filter((a) => isPublicAddress(a)),
        [],
      );
      const allowed = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'];
      assert.deepEqual(
        allowed.filter((a) => !isPublicAddress(a)),
        [],
      );
    },
  );

  test('knows a coordinator on this machine by its host', { timeout: 120_000 }, () => {
    assert.deepEqual(['localhost', '127.0.0.1', '127.0.0.2', '[::1]'].map(isLoopbackHost), [true, true, true, true]);
    assert.deepEqual(['coordinator.example', '10.0.0.1', '192.168.1.1', '[fe80::1]'].map(isLoopbackHost), [false, false, false, false]);
  });
});

describe('downloads for a remote coordinator', { timeout: 60_000 }, () => {
  test(
    'a model on 127.0.0.1 or localhost is refused before connecting, with a reason that tells nothing',
    { timeout: 120_000 },
    async () => {
      const bytes = new Uint8Array(1000).fill(3);
      const server = await new HoldServer(bytes, bytes.length).start();
      try {
        const { cache, lines } = await cacheFor(true);
        const port = new URL(server.base).port;
        for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
          const got = await cache.ensure({ url: `http://${host}:${port}/model.onnx`, sha256: sha256(bytes), size: bytes.length });
          assert.deepEqual(got, { ok: false, error: { code: 'unavailable', message: REFUSED_SOURCE } }, host);
        }
        assert.equal(server.connections, 0, 'nothing connected to the listener');
        assert.doesNotMatch(REFUSED_SOURCE, /127|localhost|HTTP|\d{2,}/);
        // The reason is said here, in the agent's own log.
        assert.match(
          lines.join('\n'),
          /not downloading http:\/\/localhost:\d+\/model\.onnx: localhost is on this computer or its own network/,
        );
        // The same cache, for a coordinator on this machine: the listener is real and would have been reached.
        const local = await cacheFor(false);
        const got = await local.cache.ensure({ url: `${server.base}/model.onnx`, sha256: sha256(bytes), size: bytes.length });
        assert.ok(got.ok);
        assert.equal(server.connections, 1);
      } finally {
        await server.close();
      }
    },
  );
});

describe('redirects', { timeout: 60_000 }, () => {
  test('are not followed: a 302 to another address is the end of the download', { timeout: 120_000 }, async () => {
    const target = await new HoldServer(new Uint8Array(8), 8).start();
    const redirect = createServer((_req, res) => res.writeHead(302, { location: `${target.base}/model.onnx` }).end());
    redirect.listen(0, '127.0.0.1');
    await once(redirect, 'listening');
    try {
      const { cache } = await cacheFor(false);
      const url = `http://127.0.0.1:${(redirect.address() as AddressInfo).port}/model.onnx`;
      const got = await cache.ensure({ url, sha256: 'a'.repeat(64), size: 8 });
      assert.match(!got.ok ? got.error.message : '', /answered HTTP 302/);
      assert.equal(target.connections, 0);
    } finally {
      redirect.closeAllConnections();
      redirect.close();
      await target.close();
    }
  });
});

describe('a download stops when unwanted', { timeout: 60_000 }, () => {
  const bytes = new Uint8Array(256 * 1024).fill(9);
  const ref = (server: HoldServer): { url: string; sha256: string; size: number } => ({
    url: `${server.base}/shared.bin`,
    sha256: sha256(bytes),
    size: bytes.length,
  });

  test(
    'its only caller going away closes the connection; a caller of a shared one leaves it to the other',
    { timeout: 120_000 },
    async () => {
      const server = await new HoldServer(bytes, 1024).start();
      try {
        const { cache } = await cacheFor(false);
        const [a, b] = [new AbortController(), new AbortController()];
        const first = cache.ensure(ref(server), a.signal);
        const second = cache.ensure(ref(server), b.signal);
        const res = await server.holding();
        a.abort();
        assert.deepEqual(await first, { ok: false, error: { code: 'unavailable', message: NOT_WANTED } });
        server.finish();
        const got = await second;
        assert.ok(got.ok, 'the other caller still gets the blob');
        assert.equal(server.connections, 1, 'one download for both');
        assert.equal(res.writableFinished, true);

        const lone = new AbortController();
        const again = cache.ensure({ ...ref(server), sha256: 'c'.repeat(64) }, lone.signal);
        const held = await server.holding();
        const closed = once(held, 'close');
        lone.abort();
        assert.deepEqual(await again, { ok: false, error: { code: 'unavailable', message: NOT_WANTED } });
        await closed; // the client hung up: the download stopped with its last caller
        assert.equal(held.writableFinished, false, 'the body was not sent to the end');
      } finally {
        await server.close();
      }
    },
  );

  test('a caller coming as the last one leaves gets a download of its own, not the one stopping', { timeout: 120_000 }, async () => {
    const server = await new HoldServer(bytes, 1024).start();
    try {
      const { cache } = await cacheFor(false);
      const leaving = new AbortController();
      const first = cache.ensure(ref(server), leaving.signal);
      await server.holding();
      leaving.abort(); // a task cancelled while its model downloads...
      const next = cache.ensure(ref(server)); // ...and the next task with the same model, in the same turn
      assert.deepEqual(await first, { ok: false, error: { code: 'unavailable', message: NOT_WANTED } });
      await server.holding(); // the new download, once the stopped one let go
      server.finish();
      const got = await next;
      assert.ok(got.ok, !got.ok ? got.error.message : '');
      assert.equal(server.connections, 2);
    } finally {
      await server.close();
    }
  });

  test('a task waiting for memory for its inputs stops waiting when it goes away', { timeout: 120_000 }, async () => {
    const input = new Uint8Array(seededFloats(4).buffer);
    const server = await new HoldServer(input, input.length).start();
    const modelServer = await new HoldServer(bytes, bytes.length).start();
    try {
      const runtime = await testRuntime({ memoryBudgetBytes: () => 16, coordinatorUrl: () => 'http://127.0.0.1/' });
      const task = (id: string, sha: string): Parameters<typeof runtime.prepare>[0] => ({
        ...matmulTask(ref(modelServer), seededFloats(4), [1, 4], { id }),
        inputs: { X: { kind: 'url', dtype: 'float32', shape: [1, 4], url: `${server.base}/${id}`, sha256: sha, size: 16 } },
      });
      const held = await runtime.prepare(task('held', sha256(input)), new AbortController().signal);
      assert.ok(held.ok, !held.ok ? held.error.message : '');
      const waiting = new AbortController();
      const second = runtime.prepare(task('waiting', 'e'.repeat(64)), waiting.signal);
      waiting.abort();
      assert.deepEqual(await second, { ok: false, error: { code: 'model-unavailable', message: NOT_WANTED } });
      assert.equal(server.connections, 0, 'preparing fetches no input: the job host does (input-fetch.test.ts)');
      held.value.release();
    } finally {
      await server.close();
      await modelServer.close();
    }
  });

  test("a queued task's download stops when the network cancels it and when the scheduler closes", { timeout: 120_000 }, async () => {
    const server = await new HoldServer(bytes, 1024).start();
    try {
      const t = await testScheduler();
      t.scheduler.apply(decided('cpu', running()));
      const cancelled = matmulTask(ref(server), seededFloats(4), [1, 4], { id: 'cancelled' });
      t.source.offer(cancelled);
      const first = await server.holding();
      const gone = once(first, 'close');
      t.scheduler.cancel(cancelled.id);
      await gone;
      t.source.offer(matmulTask({ ...ref(server), sha256: 'd'.repeat(64) }, seededFloats(4), [1, 4], { id: 'closed' }));
      const second = await server.holding();
      const closing = once(second, 'close');
      await t.scheduler.close(); // as when the coordinator is switched
      await closing;
      assert.equal(server.connections, 2);
    } finally {
      await server.close();
    }
  });
});
