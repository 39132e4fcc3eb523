// Inputs sent by URL, fetched by the job host itself (issue 32): the real fetch against the reliability suite's hostile
// server on 127.0.0.1 (a body past the task's size, a length that lies, the wrong bytes, a drip), and the runtime
// handing such an input on by reference instead of downloading it.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { HostError } from '../../main/core/runtime/host-threads.js';
import type { HostInputRef } from '../../main/core/runtime/host-protocol.js';
import { fetchInput } from '../../main/core/runtime/input-fetch.js';
import { REFUSED_SOURCE } from '../../main/core/network/public-address.js';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import { HostileServer, type BlobMode } from '../soak/hostile.js';
import { matmulTask, sha256, testRuntime } from '../helpers/runtime-fixtures.js';

const input = new Uint8Array(seededFloats(1024).buffer);

/** Fetches `mode` from a fresh hostile server as a 4 KiB float32 input with `input`'s hash; what came of it, and the server. */
async function fetched(
  mode: BlobMode,
  more: Partial<HostInputRef> = {},
  limits?: Parameters<typeof fetchInput>[3],
): Promise<{ got: Uint8Array | HostError; server: HostileServer }> {
  const server = await new HostileServer().start();
  try {
    const ref: HostInputRef = {
      dtype: 'float32',
      shape: [1, 1024],
      url: server.blob('x', mode),
      sha256: sha256(input),
      size: input.length,
      publicOnly: false,
      ...more,
    };
    const got = await fetchInput('X', ref, (n) => new Uint8Array(n), limits).then(
      (t) => t.data,
      (e: unknown) => {
        assert.ok(e instanceof HostError, String(e));
        assert.equal(e.code, 'input-unavailable');
        return e;
      },
    );
    return { got, server };
  } finally {
    await server.close();
  }
}

const message = (got: Uint8Array | HostError): string => (got instanceof HostError ? got.message : 'fetched');

describe('an input fetched by the job host', { timeout: 60_000 }, () => {
  test('arrives whole in the buffer it is given, checked against its hash', { timeout: 30_000 }, async () => {
    const { got, server } = await fetched({ kind: 'plain', bytes: input });
    assert.deepEqual(got, input);
    assert.equal(server.count('/blobs/x'), 1);
  });

  test('on this machine, for a coordinator that is not, is refused before connecting', { timeout: 30_000 }, async () => {
    const { got, server } = await fetched({ kind: 'plain', bytes: input }, { publicOnly: true });
    assert.equal(message(got), `input "X": ${REFUSED_SOURCE}`);
    assert.equal(server.count('/blobs/x'), 0);
  });

  test('with other bytes than the task says is refused, naming both hashes', { timeout: 30_000 }, async () => {
    const other = input.slice().fill(9, 0, 4);
    const { got } = await fetched({ kind: 'plain', bytes: other });
    assert.equal(message(got), `input "X": its bytes hash to ${sha256(other)}, the task says ${sha256(input)}`);
  });

  test('announcing more than the task says is not read at all', { timeout: 30_000 }, async () => {
    const { got } = await fetched({ kind: 'announce', declared: 1 << 30 });
    assert.match(message(got), /announces 1073741824 bytes, more than the task's 4096$/);
  });

  test('sending more than the task says stops at the first byte past it', { timeout: 30_000 }, async () => {
    const { got, server } = await fetched({ kind: 'flood', chunk: 1000 });
    assert.match(message(got), /is larger than the announced 4096 bytes$/);
    assert.ok((server.served.get('/blobs/x') ?? 0) < 4 << 20, 'the client hung up instead of reading on');
  });

  test('that trickles ends at its deadline, saying how far it got', { timeout: 30_000 }, async () => {
    const limits = { stallMs: 60_000, deadline: { baseMs: 300, minBytesPerSec: 1 << 20 } };
    const { got } = await fetched({ kind: 'drip', everyMs: 20 }, {}, limits);
    assert.match(
      message(got),
      /^input "X": download of 127\.0\.0\.1:\d+\/blobs\/x stopped at \d+ of 4096 bytes \(not done within 0\.304 s\)$/,
    );
  });

  test('that is not there says what the server answered', { timeout: 30_000 }, async () => {
    const server = await new HostileServer().start();
    try {
      const ref: HostInputRef = {
        dtype: 'float32',
        shape: [1, 1024],
        url: `${server.url}nothing`,
        sha256: sha256(input),
        size: 4096,
        publicOnly: false,
      };
      await assert.rejects(
        fetchInput('X', ref, (n) => new Uint8Array(n)),
        { code: 'input-unavailable', message: /answered HTTP 404$/ },
      );
    } finally {
      await server.close();
    }
  });
});

describe('the runtime, for an input sent by URL', { timeout: 60_000 }, () => {
  test(
    'hands it on by reference without fetching it, public only unless the coordinator is on this machine',
    { timeout: 30_000 },
    async () => {
      const server = await new HostileServer().start();
      try {
        const url = server.blob('x', { kind: 'plain', bytes: input });
        const modelBytes = new Uint8Array(8);
        const model = { url: 'https://models.example/m.onnx', sha256: sha256(modelBytes), size: 8 };
        const task = {
          ...matmulTask(model, new Float32Array(1), [1]),
          inputs: { X: { kind: 'url' as const, dtype: 'float32' as const, shape: [1, 1024], url, sha256: sha256(input), size: 4096 } },
        };
        const ref = { dtype: 'float32', shape: [1, 1024], url, sha256: sha256(input), size: 4096 };
        for (const [coordinatorUrl, publicOnly] of [
          ['https://coordinator.example/', true],
          ['http://127.0.0.1:1/', false],
        ] as const) {
          const runtime = await testRuntime({ coordinatorUrl: () => coordinatorUrl });
          // The model is in the cache already: only the input is left to fetch.
          const cached = runtime.cache.pathOf(model.sha256);
          await mkdir(dirname(cached), { recursive: true });
          await writeFile(cached, modelBytes);
          const got = await runtime.prepare(task, new AbortController().signal);
          assert.ok(got.ok, !got.ok ? got.error.message : '');
          assert.deepEqual(got.value.feeds, { X: { ...ref, publicOnly } }, coordinatorUrl);
          got.value.release();
        }
        assert.equal(server.count('/blobs/x'), 0, 'the agent fetched nothing: the job host does');
      } finally {
        await server.close();
      }
    },
  );
});
