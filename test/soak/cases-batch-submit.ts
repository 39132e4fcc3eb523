// Hostile batched submits (issue 32 item 2, docs/protocol.md "Batched submit"): raw devices send batches no client
// would (a task twice, forged outputs among real ones, an item that is no result, more than the limit, a frame cut
// short, a body that is no batch) beside an honest device batching real results, on the real devnet checking every
// result. Nothing crashes, every refusal is coded, nothing forged is paid, and the honest results are all paid.
import { encodeFrame, FRAME_CONTENT_TYPE } from '../../main/common/frame.js';
import { SubmitBatchReplySchema } from '../../main/common/protocol.js';
import type { Task } from '../../main/common/task.js';
import type { Coordinator } from '../../main/devnet/coordinator.js';
import { post, receiptsOf, registerNew, zeros } from '../helpers/devnet-raw.js';
import { runWithOrt } from '../integration/support/network.js';
import { clean, doubles, withDevnet, type SoakCase } from './case.js';

const LIMIT = 4;
const frameOf = (message: unknown): Buffer => Buffer.concat(encodeFrame(message));

/** A batched submit of raw bytes: the reply's HTTP status and its statuses (refusals as "refused <code>"). */
async function sendBatch(net: Coordinator, token: string, body: Uint8Array): Promise<{ status: number; answers: string[] }> {
  const res = await fetch(new URL('v1/submit-batch', net.url), {
    method: 'POST',
    headers: { 'content-type': FRAME_CONTENT_TYPE, authorization: `Bearer ${token}` },
    body,
  });
  const json: unknown = await res.json();
  const reply = SubmitBatchReplySchema.safeParse(json);
  const answers = reply.success ? reply.data.results.map((r) => (r.status === 'refused' ? `refused ${r.error.code}` : r.status)) : [];
  return { status: res.status, answers };
}

async function leaseTasks(net: Coordinator, token: string, n: number): Promise<{ leaseId: string; task: Task }[]> {
  const leased: { leaseId: string; task: Task }[] = [];
  for (let i = 0; i < n; i++) {
    const { json } = await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token);
    if (json['kind'] !== 'task') throw new Error(`no task: ${String(json['message'])}`);
    leased.push({ leaseId: String(json['leaseId']), task: json['task'] as Task });
  }
  return leased;
}

const same = (a: readonly unknown[], b: readonly unknown[]): boolean => JSON.stringify(a) === JSON.stringify(b);

export const BATCH_SUBMIT_CASES: SoakCase[] = [
  {
    name: 'hostile batched submits beside an honest batching device: nothing crashes, nothing forged is paid',
    fast: true,
    run: (size) =>
      withDevnet({ verifyRate: 1, epochMs: 0, maxSubmitBatch: LIMIT }, async (net) => {
        const rounds = size === 'fast' ? 2 : 20;
        const honest = await registerNew(net);
        const forged = new Map<string, string>(); // task id → the cheater's token
        let unexpected = 0;
        let crashed = 0;
        const expect = (got: { status: number; answers: string[] }, status: number, answers: string[] = []): void => {
          if (got.status >= 500) crashed++;
          if (got.status !== status || !same(got.answers, answers)) unexpected++;
        };
        for (let round = 0; round < rounds; round++) {
          const mine = await leaseTasks(net, honest.token, 3);
          const real = await Promise.all(mine.map(async ({ leaseId, task }) => ({ leaseId, result: await runWithOrt(task) })));
          expect(await sendBatch(net, honest.token, frameOf({ submits: real })), 200, ['accepted', 'accepted', 'accepted']);
          // A fresh cheater each round: a forged result shuts a device out (docs/protocol.md, "Verification").
          const cheater = await registerNew(net);
          const [a, b] = await leaseTasks(net, cheater.token, 2);
          if (!a || !b) throw new Error('two tasks were leased');
          const fake = { leaseId: a.leaseId, result: zeros(a.task) };
          forged.set(a.task.id, cheater.token);
          const good = { leaseId: b.leaseId, result: await runWithOrt(b.task) };
          expect(await sendBatch(net, cheater.token, frameOf({ submits: Array.from({ length: LIMIT + 1 }, () => good) })), 413);
          expect(await sendBatch(net, cheater.token, frameOf({ submits: [good] }).subarray(0, -3)), 400);
          expect(await sendBatch(net, cheater.token, frameOf({ results: [good] })), 400);
          const notAResult = { leaseId: 'x', result: { taskId: b.task.id } };
          expect(await sendBatch(net, cheater.token, frameOf({ submits: [fake, fake, notAResult, good] })), 200, [
            'accepted',
            'duplicate',
            'refused bad-request',
            'accepted',
          ]);
        }
        let forgedWei = 0n;
        for (const [taskId, token] of forged)
          for (const r of await receiptsOf(net, token)) if (r.taskId === taskId) forgedWei += BigInt(r.totalWei);
        const paid = (await receiptsOf(net, honest.token)).filter((r) => r.resourceType === 'cpu' && r.status === 'verified');
        const honestResults = rounds * 3;
        return {
          ...clean,
          lost: honestResults - paid.length,
          doubleCredits: doubles(net),
          ok: crashed === 0 && unexpected === 0 && forgedWei === 0n && paid.length === honestResults && net.stats.rejected === rounds,
          outcome:
            `${rounds} rounds: ${paid.length} of ${honestResults} honest results paid verified; ${forged.size} forged results ` +
            `paid ${forgedWei} wei (${net.stats.rejected} rejected); ${unexpected} unexpected answers, ${crashed} server errors`,
        };
      }),
  },
];
