// A recovery phrase typed with one wrong word is named by the word's place, never by the phrase (issue 28 item 3).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WalletError } from '../../main/core/wallet/errors.js';
import { keyFromSecret } from '../../main/core/wallet/import-secret.js';
import { TEST_PHRASE, TEST_PHRASE_ADDRESS } from '../helpers/wallet.js';

const noKeystore = (): never => assert.fail('no keystore here');
const refusal = async (phrase: string): Promise<WalletError> => {
  const error = await keyFromSecret({ kind: 'phrase', phrase }, noKeystore).then(
    () => assert.fail('the phrase was accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WalletError);
  assert.equal(error.code, 'BAD_SECRET');
  return error;
};

test('the right phrase, in any case and spacing, gives its key', { timeout: 60_000 }, async () => {
  const key = await keyFromSecret({ kind: 'phrase', phrase: `  ${TEST_PHRASE.toUpperCase().replaceAll(' ', '  \n')} ` }, noKeystore);
  assert.equal(key.address, TEST_PHRASE_ADDRESS);
});

test('one word not in the BIP-39 list is named by its place, and no word of the phrase is said back', { timeout: 60_000 }, async () => {
  const words = TEST_PHRASE.split(' ');
  words[4] = 'tset';
  const error = await refusal(words.join(' '));
  assert.match(error.message, /^Word 5 of the recovery phrase is not a recovery-phrase word/);
  for (const word of new Set([...words, 'junk'])) assert.ok(!error.message.toLowerCase().includes(word), `"${word}" is not echoed`);
});

test('a missing word and a swapped word are told apart from a misspelt one', { timeout: 60_000 }, async () => {
  const words = TEST_PHRASE.split(' ');
  assert.match((await refusal(words.slice(1).join(' '))).message, /has 12 or 24 words; this one has 11/);
  // All words are in the list but the checksum fails: the order or a swap, not the spelling.
  assert.match((await refusal(words.map((w) => (w === 'junk' ? 'test' : w)).join(' '))).message, /^Every word is a recovery-phrase word/);
});
