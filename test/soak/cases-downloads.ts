// Hostile downloads: models and inputs past their budgets, wrong hashes, slow bodies, 2 GB of them, URLs on the LAN.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isPublicAddress, REFUSED_SOURCE } from '../../main/core/network/public-address.js';
import { fetchInput } from '../../main/core/runtime/input-fetch.js';
import { matmulTask, sha256, testRuntime } from '../helpers/runtime-fixtures.js';
import { HostileServer } from './hostile.js';
import { clean, downloadsIn, MiB, refusedMessage, withCache, type SoakCase } from './case.js';

/** Serves `size` bytes (a repeated 1 MiB pattern, never held whole) at any path, as fast as the client takes them. */
async function patternServer(size: number): Promise<{ url: string; close: () => Promise<void> }> {
  const chunk = Buffer.alloc(MiB, 7);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': size });
    let sent = 0;
    const pump = (): void => {
      while (sent < size && !res.destroyed) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.onnx`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A listener on 127.0.0.x that counts every connection made to it. */
async function countingListener(host: string): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('connection', () => connections++);
  server.listen(0, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const mb = (bytes: number): number => Math.round(bytes / MiB);

export const DOWNLOAD_CASES: SoakCase[] = [
  {
    name: 'model declared past the disk budget (2 GiB vs 64 MiB)',
    fast: true,
    run: () =>
      withCache(async (cache, hostile, dir) => {
        const url = hostile.blob('huge', { kind: 'plain', bytes: new Uint8Array(16) });
        const got = await cache.ensure({ url, sha256: 'a'.repeat(64), size: 2 * 1024 ** 3 });
        const requests = hostile.count('/blobs/huge');
        const leftovers = await downloadsIn(dir);
        return {
          ...clean,
          leftovers,
          ok: !got.ok && requests === 0 && leftovers === 0,
          outcome: `refused before the first byte (${requests} requests): ${refusedMessage(got)}`,
        };
      }),
  },
  {
    name: 'Content-Length far past the declared size',
    fast: true,
    run: () =>
      withCache(async (cache, hostile, dir) => {
        const url = hostile.blob('announce', { kind: 'announce', declared: 2 * 1024 ** 3 });
        const got = await cache.ensure({ url, sha256: 'a'.repeat(64), size: MiB });
        const leftovers = await downloadsIn(dir);
        const onHeader = !got.ok && /announces 2147483648 bytes/.test(got.error.message);
        return {
          ...clean,
          leftovers,
          ok: onHeader && leftovers === 0,
          outcome: `refused on the header, 0 bytes written: ${refusedMessage(got)}`,
        };
      }),
  },
  {
    name: 'body past the declared size (no length, endless)',
    fast: true,
    run: () =>
      withCache(async (cache, hostile, dir) => {
        const url = hostile.blob('flood', { kind: 'flood', chunk: 64 * 1024 });
        const got = await cache.ensure({ url, sha256: 'a'.repeat(64), size: MiB });
        const leftovers = await downloadsIn(dir);
        const served = hostile.served.get('/blobs/flood') ?? 0;
        const stopped = !got.ok && /larger than the announced 1048576 bytes/.test(got.error.message);
        return {
          ...clean,
          leftovers,
          ok: stopped && leftovers === 0,
          outcome: `stopped at the first byte past 1 MiB (server pushed ${(served / MiB).toFixed(1)} MiB into the socket), partial deleted`,
        };
      }),
  },
  {
    name: 'model with the wrong hash, asked for by two tasks',
    fast: true,
    run: () =>
      withCache(async (cache, hostile, dir) => {
        const bytes = randomBytes(2 * MiB);
        const url = hostile.blob('wrong', { kind: 'plain', bytes });
        const ref = { url, sha256: 'b'.repeat(64), size: bytes.length };
        const first = await cache.ensure(ref);
        const second = await cache.ensure(ref);
        const requests = hostile.count('/blobs/wrong');
        const leftovers = await downloadsIn(dir);
        return {
          ...clean,
          leftovers,
          ok:
            !first.ok &&
            /hash to/.test(first.error.message) &&
            !second.ok &&
            /not tried again/.test(second.error.message) &&
            requests === 1 &&
            leftovers === 0,
          outcome: `downloaded once (${requests} request), deleted at the mismatch, the second task refused without downloading`,
        };
      }),
  },
  {
    name: 'model dripping 1 byte per 100 ms',
    fast: true,
    run: () =>
      withCache(
        async (cache, hostile) => {
          const url = hostile.blob('drip', { kind: 'drip', everyMs: 100 });
          const started = performance.now();
          const got = await cache.ensure({ url, sha256: 'c'.repeat(64), size: MiB });
          const s = (performance.now() - started) / 1000;
          const kept = hostile.served.get('/blobs/drip') ?? 0;
          const ended = !got.ok && /not done within/.test(got.error.message);
          // The few bytes that came are kept to resume from (inside the budget): not a leftover.
          return {
            ...clean,
            ok: ended && s < 10,
            outcome: `ended by the overall deadline after ${s.toFixed(1)} s (stall timer never fired; ${kept} bytes kept to resume)`,
          };
        },
        { deadline: { baseMs: 1_000, minBytesPerSec: MiB } },
      ),
  },
  {
    name: 'input by URL past the memory budget (1.5 GB vs 32 MiB)',
    fast: true,
    run: async () => {
      const hostile = await new HostileServer().start();
      try {
        const runtime = await testRuntime({ cacheCapBytes: 64 * MiB, memoryBudgetBytes: () => 32 * MiB });
        const model = {
          url: hostile.blob('model', { kind: 'plain', bytes: new Uint8Array(8) }),
          sha256: sha256(new Uint8Array(8)),
          size: 8,
        };
        const size = 100 * 3_750_000 * 4;
        const input = {
          kind: 'url' as const,
          dtype: 'float32' as const,
          shape: [100, 3_750_000],
          url: hostile.blob('input', { kind: 'plain', bytes: new Uint8Array(4) }),
          sha256: 'd'.repeat(64),
          size,
        };
        const got = await runtime.prepare(
          { ...matmulTask(model, new Float32Array(1), [1]), inputs: { X: input } },
          new AbortController().signal,
        );
        const requests = hostile.count('/blobs/input') + hostile.count('/blobs/model');
        return {
          ...clean,
          ok: !got.ok && got.error.code === 'runtime-error' && requests === 0,
          outcome: `released before the first byte (${requests} requests): ${got.ok ? 'prepared' : got.error.message}`,
        };
      } finally {
        await hostile.close();
      }
    },
  },
  {
    name: 'input by URL whose size does not fit its shape',
    fast: true,
    run: async () => {
      const hostile = await new HostileServer().start();
      try {
        const runtime = await testRuntime({ memoryBudgetBytes: () => 32 * MiB });
        const model = {
          url: hostile.blob('model', { kind: 'plain', bytes: new Uint8Array(8) }),
          sha256: sha256(new Uint8Array(8)),
          size: 8,
        };
        const input = {
          kind: 'url' as const,
          dtype: 'float32' as const,
          shape: [4],
          url: hostile.blob('input', { kind: 'plain', bytes: new Uint8Array(64) }),
          sha256: 'e'.repeat(64),
          size: 64,
        };
        const got = await runtime.prepare(
          { ...matmulTask(model, new Float32Array(1), [1]), inputs: { X: input } },
          new AbortController().signal,
        );
        const requests = hostile.count('/blobs/input');
        return {
          ...clean,
          ok: !got.ok && requests === 0,
          outcome: `refused before downloading (${requests} requests): ${got.ok ? 'prepared' : got.error.message}`,
        };
      } finally {
        await hostile.close();
      }
    },
  },
  {
    name: 'three 12 MiB inputs by URL within a 32 MiB budget',
    fast: true,
    run: async () => {
      const hostile = await new HostileServer().start();
      try {
        const runtime = await testRuntime({ memoryBudgetBytes: () => 32 * MiB });
        const modelBytes = new Uint8Array(8);
        const model = { url: hostile.blob('model', { kind: 'plain', bytes: modelBytes }), sha256: sha256(modelBytes), size: 8 };
        const tasks = [1, 2, 3].map((i) => {
          const bytes = new Uint8Array(12 * MiB).fill(i);
          const input = {
            kind: 'url' as const,
            dtype: 'float32' as const,
            shape: [3, MiB],
            url: hostile.blob(`in${i}`, { kind: 'plain', bytes }),
            sha256: sha256(bytes),
            size: bytes.length,
          };
          return { ...matmulTask(model, new Float32Array(1), [1]), inputs: { X: input } };
        });
        const [p1, p2, p3] = tasks.map((t) => runtime.prepare(t, new AbortController().signal)) as [
          ReturnType<typeof runtime.prepare>,
          ReturnType<typeof runtime.prepare>,
          ReturnType<typeof runtime.prepare>,
        ];
        let thirdDone = false;
        void p3.then(() => (thirdDone = true));
        const [a, b] = await Promise.all([p1, p2]);
        const thirdWaited = !thirdDone;
        if (a.ok) a.value.release();
        const c = await p3;
        if (b.ok) b.value.release();
        if (c.ok) c.value.release();
        return {
          ...clean,
          ok: a.ok && b.ok && c.ok && thirdWaited,
          outcome: `two held at once (24 MiB), the third ${thirdWaited ? 'waited' : 'did NOT wait'} until one was released, then was prepared`,
        };
      } finally {
        await hostile.close();
      }
    },
  },
  {
    name: '2 GB download: agent memory',
    fast: false,
    run: async () => {
      const big = await patternServer(2 * 1024 ** 3);
      const warm = await patternServer(64 * MiB);
      try {
        const child = execFile(process.execPath, [
          '--import',
          'tsx',
          fileURLToPath(new URL('./download-memory-child.ts', import.meta.url)),
          warm.url,
          String(64 * MiB),
          big.url,
          String(2 * 1024 ** 3),
        ]);
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
        const [code] = (await once(child, 'exit')) as [number | null];
        const m = z
          .object({ cold: z.number(), before: z.number(), peak: z.number(), after: z.number(), ended: z.string() })
          .parse(JSON.parse(out));
        const grew = mb(m.peak - m.before);
        const kept = mb(m.after - m.before);
        return {
          ...clean,
          ok: code === 0 && /hash to/.test(m.ended) && grew <= 64 && kept <= 16 && mb(m.peak - m.cold) <= 64,
          outcome:
            `agent RSS ${mb(m.before)} MB before → peak ${mb(m.peak)} MB (+${grew}) → ${mb(m.after)} MB after (+${kept}); ` +
            `the process's first download, 64 MiB, took it from ${mb(m.cold)} MB (allocator pages kept for reuse); ` +
            `goal +64 / +16; before: 111 → 2,188 → 2,188`,
        };
      } finally {
        await big.close();
        await warm.close();
      }
    },
  },
  {
    name: 'model and input URLs on the LAN for a remote coordinator',
    fast: true,
    run: async () => {
      const listeners = await Promise.all(['127.0.0.1', '127.0.0.2'].map(countingListener));
      const [first, second] = listeners as [Awaited<ReturnType<typeof countingListener>>, Awaited<ReturnType<typeof countingListener>>];
      try {
        const runtime = await testRuntime({ coordinatorUrl: () => 'https://coordinator.example/' });
        const urls = [
          `http://127.0.0.1:${first.port}/model.onnx`,
          `http://localhost:${first.port}/model.onnx`,
          `http://[::ffff:127.0.0.1]:${first.port}/model.onnx`,
          `http://127.0.0.2:${second.port}/model.onnx`,
        ];
        const messages: string[] = [];
        for (const url of urls) {
          const model = { url, sha256: 'a'.repeat(64), size: 8 };
          const got = await runtime.prepare(matmulTask(model, new Float32Array(4), [1, 4]), new AbortController().signal);
          messages.push(got.ok ? 'prepared' : got.error.message);
          // An input sent by URL is fetched by the job host, as public-only as the runtime hands it on.
          const input = { dtype: 'float32' as const, shape: [1, 4], url, sha256: 'b'.repeat(64), size: 16, publicOnly: true };
          const byInput = await fetchInput('X', input, (n) => new Uint8Array(n)).then(
            () => 'fetched',
            (e: unknown) => String(e instanceof Error ? e.message : e).replace('input "X": ', ''),
          );
          messages.push(byInput);
        }
        const connections = first.connections() + second.connections();
        // The private ranges are checked as addresses only: no traffic goes to them from this machine.
        const lan = ['10.255.255.1', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1'];
        const lan6 = ['::1', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:10.255.255.1', '::ffff:a9fe:a9fe'];
        const passed = [...lan, ...lan6].filter(isPublicAddress);
        const distinct = new Set(messages);
        // The same listener for a coordinator on this machine: it is reachable, so zero above means refused.
        const local = await testRuntime();
        await local.prepare(
          matmulTask({ url: urls[0]!, sha256: 'a'.repeat(64), size: 8 }, new Float32Array(4), [1, 4]),
          new AbortController().signal,
        );
        const reachable = first.connections() === 1;
        return {
          ...clean,
          ok: connections === 0 && passed.length === 0 && distinct.size === 1 && distinct.has(REFUSED_SOURCE) && reachable,
          outcome:
            `${messages.length} model and input URLs (127.0.0.1, localhost, ::ffff:127.0.0.1, 127.0.0.2): ${connections} connections; ` +
            `${lan.length + lan6.length} private, link-local, metadata, CGNAT and multicast addresses refused by the guard ` +
            `(${passed.length} passed); the coordinator hears one fixed reason: "${[...distinct].join(' | ')}"; ` +
            `before: fetched, "answered HTTP 404" sent back`,
        };
      } finally {
        await Promise.all(listeners.map((l) => l.close()));
      }
    },
  },
];
