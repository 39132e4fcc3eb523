import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodedError, failureOf, resultOf } from '../../main/common/coded-error.js';
import { FrameError, decodeFrame } from '../../main/common/frame.js';
import { NetworkError } from '../../main/core/network/http.js';
import { NotPublicError } from '../../main/core/network/public-address.js';
import { HostError } from '../../main/core/runtime/host-threads.js';
import { walletResult, WalletError } from '../../main/core/wallet/errors.js';
import { HttpError } from '../../main/devnet/http-util.js';
import { MemoryLogger } from '../helpers/fakes.js';

const bug = (error: unknown) => ({ code: 'INTERNAL' as const, message: `bug: ${String(error)}` });

test('every thrown coded error of core, common and the devnet is one CodedError with its code', { timeout: 10_000 }, () => {
  const thrown: [CodedError, string, string][] = [
    [new NetworkError('OFFLINE', 'x'), 'OFFLINE', 'NetworkError'],
    [new WalletError('LOCKED', 'x'), 'LOCKED', 'WalletError'],
    [new HostError('bad-input', 'x'), 'bad-input', 'HostError'],
    [new NotPublicError('nas.local', ['192.168.1.2']), 'NOT_PUBLIC', 'NotPublicError'],
    [new FrameError('x'), 'BAD_FRAME', 'FrameError'],
    [new HttpError(413, 'too-large', 'x'), 'too-large', 'HttpError'],
  ];
  for (const [error, code, name] of thrown) {
    assert.ok(error instanceof CodedError && error instanceof Error);
    assert.equal(error.code, code);
    assert.equal(error.name, name, 'the log names the kind of error');
  }
  assert.equal(new NetworkError('OFFLINE', 'x').retryable, true);
  assert.equal(new NetworkError('REJECTED', 'x').retryable, false);
  assert.throws(
    () => decodeFrame(new Uint8Array(3)),
    (error: unknown) => error instanceof FrameError && error.code === 'BAD_FRAME',
  );
});

test('failureOf keeps the code and sentence of the kinds asked for, and words anything else by the caller', { timeout: 10_000 }, () => {
  const offline = new NetworkError('OFFLINE', 'The coordinator cannot be reached.');
  assert.deepEqual(failureOf(offline, [NetworkError, WalletError], bug), {
    code: 'OFFLINE',
    message: 'The coordinator cannot be reached.',
  });
  // A coded error of a kind the caller's codes do not cover is not passed on with a code the caller cannot name.
  assert.deepEqual(failureOf(offline, [WalletError], bug), { code: 'INTERNAL', message: `bug: ${String(offline)}` });
  assert.deepEqual(failureOf(new TypeError('x is undefined'), [NetworkError], bug), {
    code: 'INTERNAL',
    message: 'bug: TypeError: x is undefined',
  });
  assert.deepEqual(failureOf('a string', [], bug), { code: 'INTERNAL', message: 'bug: a string' });
});

test('a wallet command answers a WalletError as coded data and a bug as a generic sentence, logged', { timeout: 10_000 }, async () => {
  const logger = new MemoryLogger();
  assert.deepEqual(await walletResult(Promise.resolve(7), logger), { ok: true, value: 7 });
  assert.deepEqual(await walletResult(Promise.reject(new WalletError('LOCKED', 'Unlock the wallet first.')), logger), {
    ok: false,
    error: { code: 'LOCKED', message: 'Unlock the wallet first.' },
  });
  const answer = await resultOf(Promise.reject(new RangeError('deep inside ethers')), [WalletError], bug);
  assert.deepEqual(answer, { ok: false, error: { code: 'INTERNAL', message: 'bug: RangeError: deep inside ethers' } });
  const hidden = await walletResult(Promise.reject(new RangeError('deep inside ethers')), logger);
  assert.deepEqual(hidden, {
    ok: false,
    error: { code: 'INTERNAL', message: 'The wallet hit an unexpected error; details are in the log.' },
  });
  assert.match(logger.lines.join('\n'), /error wallet: RangeError: deep inside ethers/);
});
