import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import { ok } from '../../main/common/result.js';
import { ChainSettingsSchema, type ChainSettings } from '../../main/common/wallet.js';
import { choosePayoutChain } from '../../main/core/network/payout-chain.js';
import { tempDir } from '../helpers/fakes.js';

const chain = (over: Partial<ChainSettings> = {}): ChainSettings => ({
  rpcUrl: 'https://rpc.example.org/',
  chainId: 8453,
  tokenAddress: Wallet.createRandom().address,
  payoutAddress: Wallet.createRandom().address,
  ...over,
});

test('an RPC URL off this machine must be https; plain http only to loopback', { timeout: 10_000 }, () => {
  for (const rpcUrl of ['https://rpc.example.org/', 'http://127.0.0.1:8545', 'http://localhost:8545', 'http://[::1]:8545']) {
    assert.ok(ChainSettingsSchema.safeParse(chain({ rpcUrl })).success, rpcUrl);
  }
  for (const rpcUrl of ['http://rpc.example.org/', 'http://192.168.1.2:8545', 'ws://127.0.0.1:8545', 'not a url']) {
    const parsed = ChainSettingsSchema.safeParse(chain({ rpcUrl }));
    assert.ok(!parsed.success, rpcUrl);
    assert.match(parsed.error.issues[0]?.message ?? '', /Use an https:\/\/ address/);
  }
});

test(
  'the chain in Settings wins; else the coordinator’s is pinned on first sight and a later change is not followed',
  { timeout: 10_000 },
  async () => {
    const dataDir = await tempDir();
    const url = 'https://coordinator.example/';
    const named = chain();
    const typed = chain({ chainId: 1 });
    assert.deepEqual(await choosePayoutChain({ dataDir, url, configured: typed, discovered: named }), ok(typed));
    assert.deepEqual(await choosePayoutChain({ dataDir, url, configured: null, discovered: named }), ok(named));
    const pins = JSON.parse(await readFile(join(dataDir, 'network', 'payout-chains.json'), 'utf8')) as Record<string, ChainSettings>;
    assert.deepEqual(pins, { [url]: named });
    // The coordinator now names another contract: claims stay on the pinned one until the user enters the new chain.
    const moved = await choosePayoutChain({
      dataDir,
      url,
      configured: null,
      discovered: { ...named, payoutAddress: Wallet.createRandom().address },
    });
    assert.equal(moved.ok ? 'chosen' : moved.error.code, 'CHAIN_MOVED');
    assert.match(
      moved.ok ? '' : moved.error.message,
      /now names another payout chain .* if you trust the change, enter the new chain in Settings/,
    );
    // A label is only shown: a new one is the same chain.
    assert.deepEqual(await choosePayoutChain({ dataDir, url, configured: null, discovered: { ...named, label: 'SYNOR' } }), ok(named));
    assert.deepEqual(await choosePayoutChain({ dataDir, url, configured: null, discovered: null }), ok(named));
    const elsewhere = await choosePayoutChain({ dataDir, url: 'https://other.example/', configured: null, discovered: null });
    assert.equal(elsewhere.ok ? 'chosen' : elsewhere.error.code, 'NO_CHAIN');
    assert.match(elsewhere.ok ? '' : elsewhere.error.message, /names no payout chain: enter its chain in Settings/);
  },
);
