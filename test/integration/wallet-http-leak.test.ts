// The wallet through the real agent and its HTTP + WebSocket API: everything a UI receives (every reply and every
// pushed event) and everything logged holds no key and no recovery phrase. The one deliberate exception is the
// confirm-gated walletRevealPhrase reply, which is kept out of the record.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import { WebSocket } from 'ws';
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../main/common/wire.js';
import { startServer } from '../../main/core/server/http.js';
import { CONFIRM_COOLDOWN_MS } from '../../main/core/wallet/guard.js';
import { testAgent } from '../helpers/agent.js';
import { findLeak, keyOfPhrase } from '../helpers/wallet.js';

async function harness() {
  const { agent, ports, dir } = await testAgent();
  const rendererDir = join(dir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html>');
  const server = await startServer({ agent, logger: ports.logger, rendererDir, port: 0 });
  const origin = `http://127.0.0.1:${server.port}`;
  const seen: string[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, [WS_PROTOCOL, WS_TOKEN_PREFIX + server.token], {
    headers: { origin },
  });
  ws.on('message', (data) => seen.push(String(data)));
  await once(ws, 'open');
  const call = async (cmd: string, args: unknown = {}, record = true) => {
    const response = await fetch(`${origin}/api/rpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ cmd, args }),
    });
    const text = await response.text();
    if (record) seen.push(text);
    return JSON.parse(text) as { ok: boolean; value?: unknown; error?: { code: string } };
  };
  const close = async () => {
    ws.close();
    await server.close();
    await agent.close();
  };
  return { call, seen, logs: ports.logger.lines, close, clock: ports.clock };
}

const assertClean = (text: string, secret: { key: string; phrase: string }) =>
  assert.equal(findLeak(text, secret), undefined, 'a secret leaked');

test('create, reveal-once, back up, export: no key or phrase in any reply, event or log line', { timeout: 300_000 }, async () => {
  const h = await harness();
  assert.ok((await h.call('walletCreate')).ok);
  const reveal = (await h.call('walletRevealPhrase', { confirm: 'show-recovery-phrase' }, false)) as { value: { words: string[] } };
  const phrase = reveal.value.words.join(' ');
  const words = reveal.value.words.map((word, i) => ({ position: i + 1, word })).slice(0, 3);
  assert.ok((await h.call('walletConfirmBackup', { words })).ok);
  assert.equal((await h.call('walletRevealPhrase', { confirm: 'show-recovery-phrase' })).error?.code, 'NO_PENDING_PHRASE', 'only once');
  assert.equal(
    (await h.call('walletExport', { passphrase: 'backup passphrase' })).error?.code,
    'CONFIRMATION_REQUIRED',
    'the token alone is not enough',
  );
  const { token } = (await h.call('walletRequestConfirmation', { action: 'export' })).value as { token: string };
  h.clock.advance(CONFIRM_COOLDOWN_MS);
  const { address } = ((await h.call('getWallet')).value as { wallet: { address: string } }).wallet;
  assert.ok((await h.call('walletExport', { passphrase: 'backup passphrase', auth: { token, address } })).ok);
  await h.call('getState');
  await h.call('getWallet');
  await h.close();
  const secret = { key: keyOfPhrase(reveal.value.words), phrase };
  assertClean([...h.seen, ...h.logs].join('\n'), secret);
  // The detector does detect: the one reply left out of the record would have failed this test.
  assert.ok(findLeak(JSON.stringify(reveal), secret));
});

test('import of a phrase or key: the secret goes in once and never comes back out', { timeout: 300_000 }, async () => {
  const h = await harness();
  const phrase = Wallet.createRandom().mnemonic!.phrase;
  assert.ok((await h.call('walletImport', { secret: { kind: 'phrase', phrase } })).ok);
  await h.call('getState');
  const wrong = await h.call('walletImport', { secret: { kind: 'phrase', phrase } });
  assert.equal(wrong.error?.code, 'WALLET_EXISTS');
  await h.close();
  assertClean([...h.seen, ...h.logs].join('\n'), { key: keyOfPhrase(phrase.split(' ')), phrase });

  const k = await harness();
  const key = Wallet.createRandom().privateKey;
  const bad = await k.call('walletImport', { secret: { kind: 'privateKey', privateKey: key.slice(0, 60) } });
  assert.equal(bad.ok, false);
  assert.ok((await k.call('walletImport', { secret: { kind: 'privateKey', privateKey: key } })).ok);
  await k.close();
  assertClean([...k.seen, ...k.logs].join('\n'), { key, phrase: '' });
});
