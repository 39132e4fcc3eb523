/**
 * Child of wallet-keychain.test.ts: runs one wallet step against the real OS keychain of whatever session it was
 * started in (a private D-Bus + gnome-keyring, or none) and prints one JSON line. Never prints a secret.
 * Usage: wallet-keychain.child.ts <dir> <create|open|remove> [passphrase]
 */
import { walletResult } from '../../main/core/wallet/errors.js';
import { CONFIRM_COOLDOWN_MS } from '../../main/core/wallet/guard.js';
import { KeychainStore } from '../../main/core/wallet/secret-store.js';
import { WalletService } from '../../main/core/wallet/service.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { TEST_SCRYPT_N } from '../helpers/wallet.js';

const [dir = '', step, passphrase] = process.argv.slice(2);
const logger = new MemoryLogger();
const keychain = new KeychainStore();
let now = Date.now();
const wallet = new WalletService({ dir, secrets: keychain, logger, scryptN: TEST_SCRYPT_N, now: () => now });
const opened = await walletResult(wallet.open(), logger);
const typed = {
  domain: { name: 'Synor', version: '1', chainId: 31337 },
  types: { Device: [{ name: 'deviceId', type: 'string' }] },
  value: { deviceId: 'keychain-test' },
};

const run = async (): Promise<unknown> => {
  switch (step) {
    case 'create':
      return wallet.create(passphrase ? { passphrase } : {});
    case 'open': {
      if (passphrase) await wallet.unlock({ passphrase });
      const signer = wallet.signer();
      return { signature: await signer.signTypedData(typed.domain, typed.types, typed.value), typed };
    }
    case 'remove': {
      const info = wallet.info();
      if (info.state === 'none') throw new Error('nothing to remove');
      if (info.storage === 'keystore-file') {
        await wallet.remove({ address: info.address, auth: { passphrase: passphrase ?? '' } });
      } else {
        // An OS-kept key: removal goes through a confirmation and its cool-down (time moved on by hand).
        const { token } = wallet.requestConfirmation({ action: 'remove' });
        now += CONFIRM_COOLDOWN_MS;
        await wallet.remove({ address: info.address, auth: { token, address: info.address } });
      }
      return { keychainEntry: await keychain.get(`wallet-${info.address.toLowerCase()}`) };
    }
    default:
      throw new Error(`unknown step ${step}`);
  }
};

const result = await walletResult(run(), logger);
// Whether the key is in the keychain, as a yes/no: the test checks where the key went without seeing it.
const info = wallet.info();
const inKeychain = info.state === 'none' ? false : (await keychain.get(`wallet-${info.address.toLowerCase()}`).catch(() => null)) !== null;
process.stdout.write(`${JSON.stringify({ opened, result, info: wallet.info(), inKeychain, logs: logger.lines })}\n`);
