// Inputs sent by URL reach a real job host without passing through the agent (issue 32): the host fetches them, checks
// them and runs them on real onnxruntime; a wrong input goes back to the network as the download's fault.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matMulModel, seededFloats } from '../../main/core/onnx/onnx-model.js';
import { decided, floats, matmulTask, ModelServer, running, sha256, testScheduler } from '../helpers/runtime-fixtures.js';

describe('an input sent by URL', { timeout: 120_000 }, () => {
  test('is fetched by the job host and gives the result the same input sent inline gives', { timeout: 120_000 }, async () => {
    const server = await new ModelServer().start();
    const t = await testScheduler();
    try {
      const model = server.add('m', matMulModel({ rows: 2, inner: 64, cols: 3 }).bytes);
      const x = seededFloats(2 * 64, 5);
      const bytes = new Uint8Array(x.buffer);
      const { url } = server.add('x', bytes);
      const inline = matmulTask(model, x, [2, 64]);
      const byUrl = {
        ...matmulTask(model, x, [2, 64]),
        inputs: { X: { kind: 'url' as const, dtype: 'float32' as const, shape: [2, 64], url, sha256: sha256(bytes), size: bytes.length } },
      };
      t.scheduler.apply(decided('cpu', running()));
      t.source.offer(inline, byUrl);
      const [a, b] = await Promise.all([t.outcome(inline.id), t.outcome(byUrl.id)]);
      assert.equal(a.kind, 'result');
      assert.equal(b.kind, 'result');
      if (a.kind !== 'result' || b.kind !== 'result') return;
      assert.deepEqual(floats(b.result), floats(a.result));
      assert.equal(server.requests.filter((r) => r.path === '/x').length, 1);
    } finally {
      await t.scheduler.close();
      await server.close();
    }
  });

  test('whose bytes are not the ones the task names goes back as the download’s fault', { timeout: 120_000 }, async () => {
    const server = await new ModelServer().start();
    const t = await testScheduler();
    try {
      const model = server.add('m', matMulModel({ rows: 1, inner: 4, cols: 2 }).bytes);
      const served = new Uint8Array(seededFloats(4, 1).buffer);
      const named = new Uint8Array(seededFloats(4, 2).buffer);
      const { url } = server.add('x', served);
      const task = {
        ...matmulTask(model, seededFloats(4), [1, 4]),
        inputs: { X: { kind: 'url' as const, dtype: 'float32' as const, shape: [1, 4], url, sha256: sha256(named), size: 16 } },
      };
      t.scheduler.apply(decided('cpu', running()));
      t.source.offer(task);
      assert.deepEqual(await t.outcome(task.id), {
        kind: 'release',
        taskId: task.id,
        reason: 'model-unavailable',
        message: `input "X": its bytes hash to ${sha256(served)}, the task says ${sha256(named)}`,
      });
    } finally {
      await t.scheduler.close();
      await server.close();
    }
  });
});
