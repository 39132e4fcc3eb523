import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { matMulModel, referenceMatMul, seededFloats } from '../../main/core/runtime/onnx-model.js';
import { floats, matmulTask, ModelServer, running, testScheduler } from './runtime-fixtures.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-3, `element ${i}: ${a[i]} vs ${b[i]}`);
};

describe('scheduler on a real runtime', () => {
  const server = new ModelServer();
  before(() => server.start());
  after(() => server.close());

  it('runs a MatMul task in a job host and accounts for it', async () => {
    const m = matMulModel({ rows: 'batch', inner: 8, cols: 5 });
    const model = server.add('mm', m.bytes);
    const t = await testScheduler();
    t.scheduler.setLimits('cpu', running());
    const x = seededFloats(3 * 8, 9);
    const task = matmulTask(model, x, [3, 8]);
    assert.deepEqual(t.scheduler.submit(task), { ok: true });
    const o = await t.outcome(task.id);
    assert.equal(o.kind, 'result', JSON.stringify(o));
    if (o.kind !== 'result') return;
    close(floats(o.result), referenceMatMul(x, m.weights, 3, 8, 5));
    assert.equal(o.result.accounting.operations, 2 * 3 * 8 * 5);
    assert.equal(o.result.accounting.device, 'cpu/cpu');
    assert.ok(o.result.accounting.peakRssBytes > 10 * 1024 ** 2);
    await t.scheduler.close();
  });
});
