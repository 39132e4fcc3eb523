// What the wallet commands tell the activity log and the page (issue 28 items 3 and 5): each step that went well in
// words, nothing for one that failed; scrypt's progress in the wallet view while a passphrase step runs, gone after.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { WalletViewSchema, type WalletView } from '../../main/common/wallet.js';
import { walletHandlers } from '../../main/core/wallet/commands.js';
import { WalletController } from '../../main/core/wallet/controller.js';
import { WalletService } from '../../main/core/wallet/service.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';
import { TEST_SCRYPT_N } from '../helpers/wallet.js';

const PASSPHRASE = 'correct horse battery';

async function setup(dir?: string) {
  const logger = new MemoryLogger();
  const said: string[] = [];
  const views: WalletView[] = [];
  const service = new WalletService({
    dir: dir ?? (await tempDir()),
    secrets: null,
    logger,
    scryptN: TEST_SCRYPT_N,
    // The agent passes scrypt's progress to the controller the same way (agent.ts).
    onProgress: (progress) => controller.keyWork(progress),
  });
  await service.open();
  const controller = new WalletController({
    service,
    clock: new FakeClock(),
    logger,
    payouts: { voucher: async () => undefined, context: () => Promise.reject(new Error('no network')), deviceId: () => 'dev-2f2f5df3' },
    onChange: (view) => views.push(WalletViewSchema.parse(view)),
    onActivity: (kind, message) => said.push(`${kind}: ${message}`),
  });
  return { handlers: walletHandlers(controller, logger), said, views };
}

test(
  'each wallet step that went well is told in words, a failed one is not, and unlocking an open wallet says nothing',
  { timeout: 60_000 },
  async () => {
    const dir = await tempDir();
    const first = await setup(dir);
    const created = await first.handlers.walletCreate({ passphrase: PASSPHRASE });
    assert.ok(created.ok && created.value.wallet.state === 'ready');
    const address = created.value.wallet.address;
    const wrongAuth = { passphrase: 'wrong passphrase' };
    assert.equal((await first.handlers.walletExport({ passphrase: 'backup passphrase', auth: wrongAuth })).ok, false);
    const exported = await first.handlers.walletExport({ passphrase: 'backup passphrase', auth: { passphrase: PASSPHRASE } });
    assert.ok(exported.ok && exported.value.to === 'download');
    assert.deepEqual(first.said, [
      `wallet: Wallet created: ${address}.`,
      `wallet: Wallet backup handed to the browser to save as synor-wallet-${address}.json (usually in the Downloads folder).`,
    ]);

    // The same folder after a restart: locked until the passphrase is given.
    const again = await setup(dir);
    assert.equal((await again.handlers.walletUnlock(wrongAuth)).ok, false);
    assert.equal((await again.handlers.walletUnlock({ passphrase: PASSPHRASE })).ok, true);
    assert.equal((await again.handlers.walletUnlock({ passphrase: PASSPHRASE })).ok, true, 'already open');
    assert.equal((await again.handlers.walletRemove({ address, auth: wrongAuth })).ok, false);
    assert.equal((await again.handlers.walletRemove({ address, auth: { passphrase: PASSPHRASE } })).ok, true);
    assert.deepEqual(again.said, ['wallet: Wallet unlocked.', `wallet: Wallet ${address} removed from this computer.`]);
  },
);

test(
  'scrypt progress is in the wallet view while a passphrase step runs and gone once it ends, right or wrong',
  { timeout: 60_000 },
  async () => {
    const { handlers, views } = await setup();
    assert.ok((await handlers.walletCreate({ passphrase: PASSPHRASE })).ok);
    const during = views.filter((v) => v.keyWork).map((v) => v.keyWork!);
    assert.ok(during.length > 0 && during.every((p) => p.op === 'encrypt'), 'the key is encrypted into its file');
    assert.equal(views.at(-1)?.keyWork, undefined, 'gone once created');
    views.length = 0;
    assert.equal((await handlers.walletExport({ passphrase: 'backup passphrase', auth: { passphrase: 'wrong passphrase' } })).ok, false);
    assert.ok(
      views.some((v) => v.keyWork?.op === 'decrypt'),
      'the passphrase check shows progress',
    );
    assert.equal(views.at(-1)?.keyWork, undefined, 'gone after a wrong passphrase too');
    assert.deepEqual(views.at(-1)?.thisDevice, { id: 'dev-2f2f5df3', name: hostname() });
  },
);
