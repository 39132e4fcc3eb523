// Batched submits (docs/protocol.md, "Batched submit"): the real client against the real devnet coordinator over
// loopback, tasks run with onnxruntime; hostile batches sent as raw requests with the device's own token.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InfoReplySchema, ROUTES, SubmitBatchReplySchema, type SubmitBatchReply } from '../../main/common/protocol.js';
import type { TaskResult } from '../../main/common/task.js';
import { startCoordinator, type Coordinator, type CoordinatorOptions } from '../../main/devnet/coordinator.js';
import type { NetworkClient, NetworkClientOptions } from '../../main/core/network/client.js';
import { readClientFile } from '../../main/core/network/client-file.js';
import { Frame, NetworkError, requestJson } from '../../main/core/network/http.js';
import { receiptsIn } from '../helpers/ledger.js';
import { collect, leaseOne, runWithOrt, testDevice } from './support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

async function devnet(options: CoordinatorOptions = {}): Promise<Coordinator> {
  // Every result checked, every fetch seals: each test's receipts come at once and say what verification found.
  const coordinator = await startCoordinator({ taskIntervalMs: null, verifyRate: 1, epochMs: 0, ...options });
  closers.push(() => coordinator.close());
  return coordinator;
}

async function device(url: string, extra: Partial<NetworkClientOptions> = {}) {
  const made = await testDevice(url, extra);
  closers.push(() => made.client.close());
  return made;
}

/** An HTTP proxy in front of the coordinator that notes every request's method and path: how results were sent. */
async function notingProxy(target: string): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen };
}

/** Leases, runs and completes `n` tasks (kept in the outbox, not sent: the client's background sync is not started). */
async function finish(client: NetworkClient, n: number): Promise<{ leaseId: string; result: TaskResult }[]> {
  const done: { leaseId: string; result: TaskResult }[] = [];
  for (let i = 0; i < n; i++) {
    const { leaseId, task } = await leaseOne(client);
    const result = await runWithOrt(task);
    await client.complete(leaseId, result);
    done.push({ leaseId, result });
  }
  return done;
}

const submits = (seen: string[]): string[] => seen.filter((s) => s.includes('/v1/submit'));

test(
  "results waiting to be sent go in batches up to the coordinator's maximum, each answered as its own submit",
  { timeout: 300_000 },
  async () => {
    const net = await devnet({ maxSubmitBatch: 4 });
    const proxy = await notingProxy(net.url);
    const { client, ledger } = await device(proxy.url);
    net.addTasks(6);
    const done = await finish(client, 6);
    const submitted = collect(client, 'submitted');
    assert.equal(client.status().queued, 6);
    assert.equal(await client.flush(), 0);
    assert.deepEqual(submits(proxy.seen), ['POST /v1/submit-batch', 'POST /v1/submit-batch'], '4, then the 2 left');
    const ids = done.map((d) => d.result.taskId);
    assert.deepEqual(
      submitted.map((e) => (e.type === 'submitted' ? [e.taskId, e.status] : [])),
      ids.map((id) => [id, 'accepted']),
    );
    for (const id of ids) assert.equal(net.stats.accepted.get(id), 1);
    assert.equal(ledger.sums.total().pendingTasks, 6, 'each result pending in the ledger, as a single submit makes it');
    await client.syncReceipts();
    const paid = (await receiptsIn(ledger)).filter((r) => r.resourceType === 'cpu');
    assert.deepEqual(
      paid.map((r) => [r.taskId, r.status]),
      ids.map((id) => [id, 'verified']),
    );
    assert.equal(ledger.sums.summary().total.pendingTasks, 0, 'every receipt settled its pending result');
    assert.equal(client.status().queued, 0);
  },
);

test(
  "every answer in a batch is handled as a single submit's: duplicate, too late and refused beside accepted",
  { timeout: 300_000 },
  async () => {
    const net = await devnet({ maxSubmitBatch: 4 });
    const proxy = await notingProxy(net.url);
    const { client, ledger } = await device(proxy.url);
    net.addTasks(3);
    const [sent] = await finish(client, 1);
    assert.ok(sent);
    assert.equal(await client.flush(), 0, 'taken once already');
    const [fresh] = await finish(client, 1);
    assert.ok(fresh);
    await client.complete(sent.leaseId, sent.result);
    const late = await leaseOne(client);
    // Not the leased task's result: the coordinator no longer wants it.
    await client.complete(late.leaseId, { ...fresh.result, taskId: 'never-leased' });
    // Kept by the outbox, refused by the coordinator: no lease has such an id.
    await client.complete('no such lease!', { ...fresh.result, taskId: 'bad-lease' });
    const submitted = collect(client, 'submitted');
    const problems = collect(client, 'problem');
    proxy.seen.length = 0;
    assert.equal(await client.flush(), 0, 'every result answered, none left queued');
    assert.deepEqual(submits(proxy.seen), ['POST /v1/submit-batch'], 'the four in one request');
    const statuses = new Map(submitted.map((e) => (e.type === 'submitted' ? [e.taskId, e.status] : ['', ''])));
    assert.deepEqual(Object.fromEntries(statuses), {
      [fresh.result.taskId]: 'accepted',
      [sent.result.taskId]: 'duplicate',
      'never-leased': 'too-late',
    });
    const messages = problems.map((e) => (e.type === 'problem' ? e.message : ''));
    assert.equal(messages.length, 2, messages.join('\n'));
    assert.ok(messages.some((m) => m.includes('bad-lease') && m.includes('will not be sent again')));
    // The result answered too late is not paid, and the user sees that too.
    assert.ok(messages.some((m) => m.startsWith('1 finished result reached the network after its time ran out')));
    assert.equal(net.stats.accepted.get(sent.result.taskId), 1);
    assert.equal(ledger.sums.total().pendingTasks, 2, 'the two taken, each once');
    assert.equal(client.status().queued, 0);
  },
);

test('a coordinator without batches (its info says none) gets single submits and keeps working', { timeout: 300_000 }, async () => {
  const net = await devnet({ maxSubmitBatch: 0 });
  const proxy = await notingProxy(net.url);
  const { client } = await device(proxy.url);
  const info = await client.connect();
  assert.equal(info.submitBatch, undefined);
  net.addTasks(3);
  const done = await finish(client, 3);
  assert.equal(await client.flush(), 0);
  assert.deepEqual(submits(proxy.seen), ['POST /v1/submit', 'POST /v1/submit', 'POST /v1/submit']);
  for (const { result } of done) assert.equal(net.stats.accepted.get(result.taskId), 1);
});

/** A raw batched submit with the device's token; rejects with the NetworkError a refusal becomes. */
async function postBatch(url: string, dir: string, body: unknown): Promise<SubmitBatchReply> {
  const token = (await readClientFile(join(dir, 'network', 'client.json')))?.coordinators[url]?.token ?? null;
  assert.ok(token, 'the device is registered');
  return requestJson(new URL(ROUTES.submitBatch, url), {
    method: 'POST',
    body: new Frame(body),
    token,
    timeoutMs: 60_000,
    maxBytes: 1024 * 1024,
    schema: SubmitBatchReplySchema,
  });
}

const refusedWith = (code: string) => (error: unknown) =>
  error instanceof NetworkError && error.code === 'REJECTED' && error.message.includes(`(${code})`);

test(
  'hostile batches crash nothing and pay nothing forged: a task twice, a batch over the limit, a malformed one, a forged result among good ones',
  { timeout: 300_000 },
  async () => {
    const net = await devnet({ maxSubmitBatch: 4 });
    const { client, ledger, dir } = await device(net.url);
    await client.connect();
    net.addTasks(4);
    // Leased through the client but sent by hand: the client's own outbox is left alone (its flush is never called).
    const leased: { leaseId: string; result: TaskResult }[] = [];
    for (let i = 0; i < 4; i++) {
      const { leaseId, task } = await leaseOne(client);
      leased.push({ leaseId, result: await runWithOrt(task) });
    }
    const [twice, good1, good2, forgedLease] = leased;
    assert.ok(twice && good1 && good2 && forgedLease);

    const dup = await postBatch(net.url, dir, { submits: [twice, twice] });
    assert.deepEqual(
      dup.results.map((r) => r.status),
      ['accepted', 'duplicate'],
    );
    assert.equal(net.stats.accepted.get(twice.result.taskId), 1, 'taken once');

    const five = Array.from({ length: 5 }, () => good1);
    await assert.rejects(postBatch(net.url, dir, { submits: five }), refusedWith('batch-too-large'));
    await assert.rejects(postBatch(net.url, dir, { submits: [] }), refusedWith('bad-request'));
    await assert.rejects(postBatch(net.url, dir, { results: [good1] }), refusedWith('bad-request'));
    assert.equal(net.stats.accepted.get(good1.result.taskId), undefined, 'nothing of a refused batch is taken');

    // The forged result first, so the epoch it forfeits holds none of the good ones (docs/protocol.md, "Verification").
    const y = forgedLease.result.outputs['Y'];
    assert.ok(y);
    const forgedResult = { ...forgedLease.result, outputs: { Y: { ...y, data: new Uint8Array(y.data.byteLength) } } };
    const forged = { leaseId: forgedLease.leaseId, result: forgedResult };
    const malformed = { leaseId: good2.leaseId, result: { taskId: good2.result.taskId } };
    const mixed = await postBatch(net.url, dir, { submits: [forged, good1, malformed, good2] });
    assert.deepEqual(
      mixed.results.map((r) => (r.status === 'refused' ? `refused ${r.error.code}` : r.status)),
      ['accepted', 'accepted', 'refused bad-request', 'accepted'],
      'each judged on its own: the malformed one refused alone, the one after it taken',
    );
    assert.equal(net.stats.rejected, 1, 'the forged result failed its check');

    await client.syncReceipts();
    const cpu = new Map((await receiptsIn(ledger)).filter((r) => r.resourceType === 'cpu').map((r) => [r.taskId, r]));
    assert.deepEqual(
      [cpu.get(forgedLease.result.taskId)?.status, cpu.get(forgedLease.result.taskId)?.totalWei],
      ['rejected', '0'],
      'the forged result is paid nothing',
    );
    for (const { result } of [good1, good2]) {
      assert.equal(cpu.get(result.taskId)?.status, 'verified');
      assert.ok(BigInt(cpu.get(result.taskId)?.totalWei ?? '0') > 0n);
    }
    // Still answering: nothing crashed.
    const info = await requestJson(new URL(ROUTES.info, net.url), {
      method: 'GET',
      timeoutMs: 60_000,
      maxBytes: 64 * 1024,
      schema: InfoReplySchema,
    });
    assert.deepEqual(info.submitBatch, { maxResults: 4, maxBytes: 32 * 1024 * 1024 });
  },
);
