// The automatic claim's decision after each wallet refresh (issue 28 item 7): off by default, only past the threshold,
// at most once an hour, and a locked wallet said once (not at every refresh) until it is unlocked and locked again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tell } from '../../main/common/state.js';
import type { WalletView } from '../../main/common/wallet.js';
import { AUTO_CLAIM_INTERVAL_MS, AutoClaim, nextStep, type AutoClaimMemory } from '../../main/core/wallet/auto-claim.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { FakeClock, MemoryLogger } from '../helpers/fakes.js';

const ADDRESS = `0x${'a'.repeat(40)}`;
const view = (state: 'none' | 'ready' | 'locked', claimable: string): WalletView => ({
  wallet: state === 'none' ? { state } : { state, address: ADDRESS, storage: 'keystore-file', backup: 'confirmed' },
  chain: { status: 'ok', chainId: 31337 },
  balances: { synor: '0', native: '1000000000000000000' },
  claimable,
  claims: [],
});
const on = { enabled: true, thresholdWei: '1000' };
const fresh: AutoClaimMemory = { busy: false, lastTryAt: null, lockedTold: false };
const NOW = 10 * AUTO_CLAIM_INTERVAL_MS;

test('claims only when switched on, past the threshold, with a wallet that can sign, once an hour', { timeout: 5000 }, () => {
  const cases: [string, ReturnType<typeof nextStep>, Parameters<typeof nextStep>][] = [
    ['off by default', 'wait', [view('ready', '5000'), DEFAULT_SETTINGS.autoClaim, fresh, NOW]],
    ['switched off', 'wait', [view('ready', '5000'), { ...on, enabled: false }, fresh, NOW]],
    ['below the threshold', 'wait', [view('ready', '999'), on, fresh, NOW]],
    ['at the threshold', 'claim', [view('ready', '1000'), on, fresh, NOW]],
    ['nothing to claim, threshold 0', 'wait', [view('ready', '0'), { ...on, thresholdWei: '0' }, fresh, NOW]],
    ['a claim under way', 'wait', [view('ready', '5000'), on, { ...fresh, busy: true }, NOW]],
    ['tried 59 minutes ago', 'wait', [view('ready', '5000'), on, { ...fresh, lastTryAt: NOW - 59 * 60_000 }, NOW]],
    ['tried an hour ago', 'claim', [view('ready', '5000'), on, { ...fresh, lastTryAt: NOW - AUTO_CLAIM_INTERVAL_MS }, NOW]],
    ['locked, not said yet', 'say-locked', [view('locked', '5000'), on, fresh, NOW]],
    ['locked, said', 'wait', [view('locked', '5000'), on, { ...fresh, lockedTold: true }, NOW]],
    ['locked below the threshold', 'wait', [view('locked', '10'), on, fresh, NOW]],
    ['no wallet', 'wait', [view('none', '5000'), on, fresh, NOW]],
  ];
  for (const [what, expected, args] of cases) assert.equal(nextStep(...args), expected, what);
});

test('a locked wallet is said once, and again only after an unlock and a new lock', { timeout: 5000 }, () => {
  const said: Tell[] = [];
  const auto = new AutoClaim({
    // No chain connected: a claim the unlocked wallet would make has nowhere to go and is not tried.
    wallet: { connection: undefined, claim: () => Promise.reject(new Error('no claim is expected without a chain')) },
    settings: () => on,
    voucher: () => Promise.resolve(undefined),
    clock: new FakeClock(),
    logger: new MemoryLogger(),
    say: (item, logged) => {
      assert.equal(logged, false, 'nothing else logged it');
      said.push(item);
    },
  });
  for (let i = 0; i < 3; i++) auto.consider(view('locked', '2500000000000000000'));
  assert.deepEqual(
    said.map((s) => [s.kind, s.title, s.body]),
    [
      [
        'claim',
        'Automatic claim waiting',
        '2.5 SYNOR is ready to claim, but your wallet is locked. Automatic claims wait until you unlock it on the Wallet page.',
      ],
    ],
  );
  auto.consider(view('ready', '0'));
  auto.consider(view('locked', '2500000000000000000'));
  assert.equal(said.length, 2);
});
