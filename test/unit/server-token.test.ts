// The token rotation route of the headless server: only the current token may ask, a token that could not be kept
// never replaces the old one, and event streams opened with the old token end.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { HTTP_TOKEN_ROTATE_PATH } from '../../main/common/local-api.js';
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../main/common/wire.js';
import { startServer, type RunningServer } from '../../main/core/server/http.js';
import { testAgent } from '../helpers/agent.js';
import { MemoryLogger } from '../helpers/fakes.js';

const T = { timeout: 60_000 };
const FIRST = 'a'.repeat(64);
const tokens = ['b', 'c', 'd'].map((c) => c.repeat(64));
/** What the rotate hook does next: hand out a token, or fail as a full disk would. */
let saving: 'works' | 'fails' = 'works';
let server: RunningServer;
let origin: string;

before(async () => {
  const { agent, dir } = await testAgent();
  const rendererDir = join(dir, 'renderer');
  await mkdir(rendererDir, { recursive: true });
  const rotateToken = async (): Promise<string> => {
    if (saving === 'fails') throw new Error('ENOSPC: no space left on device');
    return tokens.shift()!;
  };
  server = await startServer({ agent, logger: new MemoryLogger(), rendererDir, port: 0, token: FIRST, rotateToken });
  origin = `http://127.0.0.1:${server.port}`;
});
after(() => server.close());

const post = async (
  path: string,
  token: string,
): Promise<{ status: number; body: { ok: boolean; value?: { url: string }; error?: { code: string; message: string } } }> => {
  const response = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ cmd: 'getState', args: {} }),
  });
  return { status: response.status, body: (await response.json()) as never };
};

test('a wrong token may not rotate; the current one gets a new link, and only the new token opens the API', T, async () => {
  const refused = await post(HTTP_TOKEN_ROTATE_PATH, 'f'.repeat(64));
  assert.deepEqual([refused.status, refused.body.error?.code], [401, 'UNAUTHORIZED']);
  assert.equal(server.token, FIRST);

  const events = new WebSocket(`ws://127.0.0.1:${server.port}${WS_PATH}`, [WS_PROTOCOL, WS_TOKEN_PREFIX + FIRST], { origin });
  await once(events, 'open');
  const closed = once(events, 'close');
  const rotated = await post(HTTP_TOKEN_ROTATE_PATH, FIRST);
  assert.equal(rotated.status, 200);
  assert.equal(rotated.body.value?.url, `${origin}/#token=${'b'.repeat(64)}`);
  assert.equal(server.url, rotated.body.value?.url);
  const [code] = (await closed) as [number];
  assert.equal(code, 1008, 'the stream opened with the old token ends');

  assert.equal((await post('/api/rpc', FIRST)).status, 401);
  assert.equal((await post('/api/rpc', 'b'.repeat(64))).status, 200);
});

test('a token that could not be saved is not used: the old one still works, and the refusal says why', T, async () => {
  saving = 'fails';
  const failed = await post(HTTP_TOKEN_ROTATE_PATH, 'b'.repeat(64));
  assert.deepEqual([failed.status, failed.body.error?.code], [500, 'STORAGE']);
  assert.match(failed.body.error!.message, /the old one still works/);
  assert.doesNotMatch(failed.body.error!.message, /ENOSPC/);
  assert.equal((await post('/api/rpc', 'b'.repeat(64))).status, 200);
  assert.equal(server.token, 'b'.repeat(64));
});

test('two rotations asked at once with the same token: one is made, the other refused, and the server uses the one made', T, async () => {
  saving = 'works';
  const both = await Promise.all([post(HTTP_TOKEN_ROTATE_PATH, 'b'.repeat(64)), post(HTTP_TOKEN_ROTATE_PATH, 'b'.repeat(64))]);
  assert.deepEqual(both.map((r) => r.status).sort(), [200, 401]);
  const made = both.find((r) => r.status === 200)!.body.value!.url;
  assert.equal(made, server.url);
  assert.deepEqual(tokens, ['d'.repeat(64)], 'the refused one made no token');
});
