import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Interface } from 'ethers';
import { PAYOUT_ABI, TOKEN_ABI } from '../../main/common/payout-abi.js';
import { REVERT_MESSAGES } from '../../main/core/wallet/chain.js';
import { loadArtifacts } from '../../main/devnet/chain/artifacts.js';
import { compile, EVM_VERSION, sourceHash } from '../../main/devnet/chain/compile.js';

test(
  'the committed artifacts are what solc makes of the current sources (else: node --import tsx main/devnet/chain/compile.ts)',
  { timeout: 120_000 },
  () => {
    const committed = loadArtifacts();
    assert.equal(committed.sourceHash, sourceHash(), 'artifacts.json is stale');
    assert.deepEqual(compile(), committed);
    assert.equal(committed.evmVersion, EVM_VERSION);
  },
);

test(
  'every function, event and error the agent uses exists with the same signature in the compiled contracts',
  { timeout: 120_000 },
  () => {
    const { contracts } = loadArtifacts();
    for (const [mine, compiled] of [
      [PAYOUT_ABI, contracts.SynorPayout.abi],
      [TOKEN_ABI, contracts.SynorToken.abi],
    ] as const) {
      const real = new Interface(compiled);
      // ECDSA errors come from the library and ERC20 errors bubble up from the token: look them up in both.
      const token = new Interface(contracts.SynorToken.abi);
      new Interface(mine).forEachFunction((f) => assert.ok(real.getFunction(f.format('sighash')), f.format('sighash')));
      new Interface(mine).forEachEvent((e) => assert.ok(real.getEvent(e.format('sighash')), e.format('sighash')));
      new Interface(mine).forEachError((e) =>
        assert.ok(real.getError(e.format('sighash')) ?? token.getError(e.format('sighash')), e.format('sighash')),
      );
    }
  },
);

test(
  'every error the payout contract can revert with is in the agent interface and has a sentence for the user',
  { timeout: 120_000 },
  () => {
    // Missing ones came back undecoded: "The chain refused the claim:" and raw error text.
    const mine = new Interface(PAYOUT_ABI);
    // EIP-712's name and version are checked once, when the contract is deployed: a claim cannot raise these.
    const atDeployOnly = ['InvalidShortString', 'StringTooLong'];
    new Interface(loadArtifacts().contracts.SynorPayout.abi).forEachError((e) => {
      if (atDeployOnly.includes(e.name)) return;
      assert.ok(mine.getError(e.format('sighash')), `${e.format('sighash')} is in PAYOUT_ABI`);
      assert.ok(REVERT_MESSAGES[e.name], `${e.name} has a sentence`);
    });
  },
);
