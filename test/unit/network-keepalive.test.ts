// Kept connections (network/http.ts): a lease, a heartbeat and a submit every few hundred ms go over one socket to
// the coordinator, not a new connection (and TCP handshake) each.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { z } from 'zod';
import { Frame, requestJson } from '../../main/core/network/http.js';

test('consecutive requests to a coordinator reuse one socket, JSON and frame bodies alike', { timeout: 60_000 }, async (t) => {
  const sockets: Socket[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    sockets.push(req.socket);
    req.resume().on('end', () => res.end(JSON.stringify({ n: sockets.length })));
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/lease`);
  const schema = z.object({ n: z.number() }).strict();
  const bodies = [undefined, { waitMs: 0 }, new Frame({ result: 'r' }), { progress: 0.5 }, new Frame({ result: 's' })];
  for (const [i, body] of bodies.entries()) {
    const reply = await requestJson(url, { method: body === undefined ? 'GET' : 'POST', body, timeoutMs: 5_000, maxBytes: 1000, schema });
    assert.equal(reply.n, i + 1);
  }
  assert.equal(connections, 1, `${connections} connections for ${bodies.length} requests`);
  assert.ok(
    sockets.every((socket) => socket === sockets[0]),
    'every request came over the first socket',
  );
});
