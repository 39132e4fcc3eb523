// Fuzz: the real client against 1000+ malformed or hostile coordinator replies. A hostile proxy forwards each request
// to the real devnet and mangles the one reply it is armed for: wrong types, missing and extra fields, random JSON,
// garbage, truncation, huge bodies, slow drip, disconnects, error statuses and forged earnings (epochs signed with
// another key or not signed at all, a real signature over another epoch, and receipts altered inside a correctly
// signed epoch). Every call must end in a NetworkError with a code and a sentence; nothing may crash; no finished
// result may be lost; no epoch or receipt that does not verify may reach the ledger.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Wallet } from 'ethers';
import fc from 'fast-check';
import { eip712Domain, EPOCH_TYPES, ReceiptsReplySchema, type EpochBundle, type ReceiptsReply } from '../../main/common/protocol.js';
import { epochOf } from '../../main/core/receipts/epochs.js';
import { NetworkError } from '../../main/core/network/http.js';
import { Outbox } from '../../main/core/network/outbox.js';
import { bundleProblem } from '../../main/core/receipts/receipts.js';
import { verifyLedgerFile } from '../../main/core/ledger/verify-file.js';
import { ledgerWei, receiptsIn, recordsOf } from '../helpers/ledger.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { relay } from '../helpers/relay.js';
import { runWithOrt, testDevice } from './support/network.js';

const CASES = 1000;
const MAX_REPLY = 256 * 1024;
const TIMEOUT_MS = 300;
const HONEST_TRIES = 30;

type Op = 'info' | 'lease' | 'submit' | 'receipts' | 'release';
const opPath: Record<Op, RegExp> = {
  info: /^\/v1\/info$/,
  lease: /^\/v1\/lease$/,
  submit: /^\/v1\/submit$/,
  receipts: /^\/v1\/receipts/,
  release: /^\/v1\/release$/,
};

const Mutation = fc.oneof(
  { weight: 60, arbitrary: fc.record({ kind: fc.constant('wrong-type' as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('drop-field' as const), pick: fc.nat() }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('extra-field' as const), key: fc.string({ minLength: 1, maxLength: 8 }) }) },
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('random-json' as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 512 }) }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('truncated' as const), pick: fc.nat() }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('huge' as const), declared: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('slow-drip' as const) }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), afterHeaders: fc.boolean() }) },
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      status: fc.constantFrom(400, 401, 403, 404, 409, 413, 429, 500, 502, 503, 302),
      body: fc.oneof(fc.constant('{"error":{"code":"nope","message":"refused"}}'), fc.string({ maxLength: 64 })),
    }),
  },
  {
    weight: 30,
    arbitrary: fc.record({
      kind: fc.constant('forged-epoch' as const),
      // A new epoch signed with another key, or with bytes that are no signature, or with the coordinator's real
      // signature of another epoch; or the coordinator's real epoch with a receipt inside it altered: its pay (the split
      // gives it away), or its task (only the Merkle root does).
      how: fc.constantFrom('other-key', 'bad-bytes', 'replayed-signature', 'tampered-wei', 'tampered-task'),
    }),
  },
);
type Mutation = typeof Mutation extends fc.Arbitrary<infer M> ? M : never;
const Case = fc.record({
  op: fc.constantFrom<Op>('info', 'lease', 'submit', 'submit', 'receipts', 'receipts', 'release'),
  mutation: Mutation,
});

/** Every leaf (and object) path of a JSON value, so a mutation can aim anywhere in the reply. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}
function setAt(
  root: unknown,
  path: (string | number)[],
  f: (parent: Record<string | number, unknown>, key: string | number) => void,
): unknown {
  if (path.length === 0) return root;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  f(parent, path.at(-1)!);
  return root;
}

const attacker = Wallet.createRandom();
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

test(
  `${CASES} hostile coordinator replies: no crash, a clear error each time, nothing lost, no bad receipt kept`,
  { timeout: 300_000 },
  async () => {
    const unexpected: unknown[] = [];
    const onUnhandled = (error: unknown): void => void unexpected.push(error);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);

    // Every fetch seals the open epoch: the forgeries have fresh epochs to alter, and the last fetch brings everything.
    const devnet = await startCoordinator({ taskIntervalMs: null, leaseTtlMs: 3_600_000, maxLeaseWaitMs: 1_000, epochMs: 0 });
    closers.push(() => devnet.close());
    let armed: { op: Op; mutation: Mutation } | null = null;
    /** The newest epoch the devnet served honestly: what the forgeries imitate. */
    let lastRealEpoch: EpochBundle | null = null;
    let cursorHint = 0;
    /** The forgery served to the armed call, if one was. */
    let forgery: EpochBundle | null = null;
    const expect = () => ({ chainId: 31337, coordinator: devnet.address });

    const send = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const upstream = await relay(req, devnet.url);
      const { text } = upstream;
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      const plan = armed && opPath[armed.op].test(pathname) ? armed : null;
      if (plan) armed = null;
      if (!plan) {
        if (opPath.receipts.test(pathname) && upstream.ok)
          lastRealEpoch = ReceiptsReplySchema.parse(JSON.parse(text)).epochs.at(-1) ?? lastRealEpoch;
        res.writeHead(upstream.status, { 'content-type': 'application/json' });
        res.end(text);
        return;
      }
      const m = plan.mutation;
      const json = (value: unknown): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const real: unknown = JSON.parse(text);
      switch (m.kind) {
        case 'wrong-type': {
          const all = paths(real).filter((p) => p.length > 0);
          const path = all[m.pick % all.length];
          return json(
            path
              ? setAt(real, path, (parent, key) => (parent[key] = typeof parent[key] === typeof m.value ? [m.value] : m.value))
              : m.value,
          );
        }
        case 'drop-field': {
          const all = paths(real).filter((p) => p.length > 0);
          const path = all[m.pick % all.length];
          return json(path ? setAt(real, path, (parent, key) => delete parent[key]) : null);
        }
        case 'extra-field':
          return json({ ...(real as object), [`x${m.key}`]: 1 });
        case 'random-json':
          return json(m.value);
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(Buffer.from(m.bytes));
        case 'truncated':
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(text.slice(0, m.pick % Math.max(1, text.length)));
        case 'huge':
          res.writeHead(200, { 'content-type': 'application/json', ...(m.declared ? { 'content-length': String(64 * MAX_REPLY) } : {}) });
          res.write(`{"pad":"${'x'.repeat(4 * MAX_REPLY)}`);
          return void res.end();
        case 'slow-drip': {
          res.writeHead(200, { 'content-type': 'application/json' });
          const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 20);
          res.on('close', () => clearInterval(drip));
          return;
        }
        case 'disconnect':
          if (m.afterHeaders) {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
            res.write(text.slice(0, 10));
          }
          return void res.socket?.destroy();
        case 'status':
          res.writeHead(m.status, {
            'content-type': 'application/json',
            ...(m.status === 302 ? { location: 'https://example.com/' } : {}),
          });
          return void res.end(m.body);
        case 'forged-epoch': {
          // Armed for another route, the forged page is a reply of the wrong shape.
          const page = ReceiptsReplySchema.safeParse(real);
          if ((m.how === 'tampered-wei' || m.how === 'tampered-task') && page.success) {
            // A real epoch the device has not taken yet, its signature untouched, one receipt in it altered.
            const fresh = page.data.epochs.find((b) => b.epoch.lastSeq > cursorHint);
            if (!fresh) return json(page.data);
            const at = fresh.receipts.findIndex((r) => r.resourceType === 'cpu');
            const receipts = fresh.receipts.map((r, i) =>
              i !== Math.max(0, at)
                ? r
                : m.how === 'tampered-wei'
                  ? { ...r, totalWei: String(BigInt(r.totalWei) * 10n + 1n) }
                  : { ...r, taskId: `forged-${r.taskId || 'task'}` },
            );
            forgery = { ...fresh, receipts };
          } else {
            const template = lastRealEpoch;
            if (!template) return json({ epochs: [], nextCursor: 0, serverTime: Date.now() } satisfies ReceiptsReply);
            // The same work again, numbered after what the device holds, as a new epoch.
            const receipts = template.receipts.map((r, i) => ({
              ...r,
              receiptId: `forged-${i}-${Math.random()}`,
              seq: cursorHint + 1 + i,
              issuedAt: Date.now(),
            }));
            const epoch = epochOf(receipts, Date.now());
            const signature =
              m.how === 'other-key'
                ? await attacker.signTypedData(eip712Domain(31337), EPOCH_TYPES, epoch)
                : m.how === 'bad-bytes'
                  ? `0x${'ab'.repeat(65)}`
                  : template.signature;
            forgery = { epoch, signature, receipts };
          }
          // (Thrown here it would only drop the connection: noted, and failed at the end.)
          if (bundleProblem(forgery, expect()) === null) unexpected.push(new Error(`the ${m.how} forgery checks out`));
          return json({ epochs: [forgery], nextCursor: forgery.epoch.lastSeq, serverTime: Date.now() } satisfies ReceiptsReply);
        }
      }
    };
    const hostile = createServer((req, res) => {
      send(req, res).catch(() => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => (hostile.closeAllConnections(), hostile.close(resolve))));
    const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;

    const { client, ledger, dir } = await testDevice(url, { leaseWaitMs: 50, requestTimeoutMs: TIMEOUT_MS, maxReplyBytes: MAX_REPLY });
    const outbox = new Outbox(join(dir, 'network', 'outbox'));
    closers.push(() => client.close());
    client.subscribe((e) => {
      if (e.type === 'epoch') cursorHint = Math.max(cursorHint, e.epoch.lastSeq);
    });

    /**
     * Unarmed calls can still time out on a busy machine (TIMEOUT_MS is short, for the armed cases that never answer):
     * try again. Beside a CPU hog the first registration timed out five times in a row while the devnet warmed up; a
     * failed try costs at most TIMEOUT_MS, so a quiet run loses nothing to the extra tries.
     */
    const honestly = async <T>(run: () => Promise<T>): Promise<T> => {
      for (let i = 0; ; i++) {
        try {
          return await run();
        } catch (error) {
          if (i === HONEST_TRIES - 1 || !(error instanceof NetworkError)) throw error;
        }
      }
    };
    const finished = new Set<string>();
    const finish = async (leaseId: string, task: Parameters<typeof runWithOrt>[0]): Promise<void> => {
      await client.complete(leaseId, await runWithOrt(task));
      finished.add(task.id);
    };
    const honestLease = async () => {
      // A task for each try: a lease the devnet answered after the client gave up on it holds the task given then.
      const outcome = await honestly(() => {
        devnet.addTasks(1);
        return client.lease();
      });
      assert.equal(outcome.kind, 'task');
      return outcome as Extract<typeof outcome, { kind: 'task' }>;
    };

    await honestly(() => client.connect());
    const codes = new Map<string, number>();
    const cases = fc.sample(Case, { numRuns: CASES, seed: 20261125 });
    for (const [index, c] of cases.entries()) {
      let run: () => Promise<unknown>;
      switch (c.op) {
        case 'info':
          run = () => client.connect();
          break;
        case 'lease':
          devnet.addTasks(1);
          run = async () => {
            const outcome = await client.lease();
            if (outcome.kind === 'task') await finish(outcome.leaseId, outcome.task);
          };
          break;
        case 'submit':
          // A fresh result now and then; the others stay queued from earlier failed submits.
          if (client.status().queued === 0 || index % 4 === 0) {
            const { leaseId, task } = await honestLease();
            await finish(leaseId, task);
          }
          run = () => client.flush();
          break;
        case 'receipts':
          // Honest first, so the forgeries have a real epoch to imitate.
          if (!lastRealEpoch || index % 4 === 0) await honestly(() => client.syncReceipts());
          if (c.mutation.kind === 'forged-epoch' && c.mutation.how.startsWith('tampered')) {
            // A result delivered but not fetched: the devnet seals its epoch at the armed fetch, which alters it.
            const { leaseId, task } = await honestLease();
            await finish(leaseId, task);
            await honestly(() => client.flush());
          }
          run = () => client.syncReceipts();
          break;
        case 'release': {
          const { leaseId } = await honestLease();
          // Release is best effort (the lease expires anyway): failures show in the status instead of throwing.
          run = async () => {
            await client.release(leaseId, 'policy-pause', 'fuzz');
            const status = client.status();
            if (status.code === 'offline' || status.code === 'error') throw new NetworkError('SERVER', `status: ${status.message}`);
          };
          break;
        }
      }
      const queuedBefore = (await outbox.list()).entries.map((e) => e.taskId);
      armed = c;
      forgery = null;
      let code = 'ok';
      try {
        if (c.op === 'release') await honestly(() => client.connect()); // clears the last error
        await run();
      } catch (error) {
        assert.ok(error instanceof NetworkError, `case ${index} (${c.op}/${c.mutation.kind}) threw ${String(error)}`);
        assert.ok(error.message.length > 10, `case ${index}: a sentence, not just a code`);
        code = error.code;
      }
      armed = null;
      if (forgery && c.op === 'receipts') assert.equal(code, 'BAD_RECEIPT', `case ${index}: the forgery was refused`);
      const kind = c.mutation.kind === 'forged-epoch' ? `forged-epoch:${c.mutation.how}` : c.mutation.kind;
      codes.set(`${c.op}/${kind}→${code}`, (codes.get(`${c.op}/${kind}→${code}`) ?? 0) + 1);
      // Nothing lost: each result queued before the call is still on disk, or the coordinator has it.
      const queuedAfter = new Set((await outbox.list()).entries.map((e) => e.taskId));
      for (const taskId of queuedBefore)
        assert.ok(queuedAfter.has(taskId) || devnet.stats.accepted.has(taskId), `case ${index}: ${taskId} lost`);
    }

    // The network heals: everything finished is delivered exactly once and the ledger holds only good epochs, each with
    // its receipts as signed.
    assert.equal(await honestly(() => client.flush()), 0);
    await honestly(() => client.syncReceipts());
    for (const taskId of finished) assert.equal(devnet.stats.accepted.get(taskId), 1, `task ${taskId} accepted exactly once`);
    const report = await verifyLedgerFile(ledger.file, expect());
    assert.deepEqual(report.problems, []);
    const receipts = await receiptsIn(ledger);
    assert.ok(
      receipts.every((r) => !r.receiptId.startsWith('forged-') && !r.taskId.startsWith('forged-')),
      'no forged receipt kept',
    );
    const cpuTasks = receipts.filter((r) => r.resourceType === 'cpu').map((r) => r.taskId);
    assert.equal(cpuTasks.length, finished.size, 'one compute receipt per finished task');
    assert.deepEqual(new Set(cpuTasks), finished);
    const epochs = await recordsOf(ledger);
    assert.deepEqual(
      epochs.map((r) => [r.signed.epoch.firstSeq, r.signed.epoch.lastSeq]),
      epochs.map((_, i) => [i === 0 ? 1 : epochs[i - 1]!.signed.epoch.lastSeq + 1, epochs[i]!.signed.epoch.lastSeq]),
      'the epochs follow each other without a gap',
    );
    assert.equal(
      await ledgerWei(ledger),
      receipts.reduce((sum, r) => sum + BigInt(r.totalWei), 0n),
      'the epochs hold exactly the receipts kept',
    );
    assert.equal(ledger.sums.total().pendingTasks, 0);
    assert.deepEqual(unexpected, []);
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    const summary = [...codes]
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    process.stdout.write(`# fuzz: ${CASES} cases, ${finished.size} results delivered once; ${summary}\n`);
  },
);
