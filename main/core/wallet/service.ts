import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { z } from 'zod';
import {
  PassphraseSchema,
  type AuthorizationSchema,
  type BackupSaved,
  type ClaimRecord,
  type Confirmation,
  type GuardedAction,
  type KeyStorage,
  type RecoveryPhrase,
  type Voucher,
  type WalletInfo,
} from '../../common/wallet.js';
import { errorText } from '../../common/result.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { setAside } from '../fs/set-aside.js';
import type { ChainClient } from './chain.js';
import { WalletError } from './errors.js';
import { Confirmations, needsPassphrase, PassphraseGate } from './guard.js';
import { saveBackupWith } from './backup-saver.js';
import { keyFromSecret, openKeystore, type ImportSecret } from './import-secret.js';
import { readKeystore, writeKeystore } from './keystore-file.js';
import { loadWalletFiles, setAsideKeylessRecord, setAsideLostKey, type Meta } from './wallet-files.js';
import { encryptKeystore, percentSteps } from './keystore-worker.js';
import { usableStore, type SecretStore } from './secret-store.js';
import type { TypedDataSigner, WalletServiceOptions } from './service-options.js';

type Authorization = z.infer<typeof AuthorizationSchema>;

const accountFor = (address: string): string => `wallet-${address.toLowerCase()}`;

/**
 * The user's payout key. Every public method returns only non-secret data (WalletInfo, addresses, signatures,
 * encrypted keystores) except revealRecoveryPhrase, which exists for the one-time backup screen. The key lives in
 * a JS private field so it cannot leak through JSON.stringify or a logged object.
 */
export class WalletService {
  #key: Wallet | undefined;
  /** Only between create() and confirmBackup(); never written anywhere. */
  #phrase: string | undefined;
  /** The first reveal is the backup screen; any later one needs the same proof as an export. */
  #revealed = false;
  private meta: Meta | undefined;
  /** The address of a wallet set aside this run because its key file was missing or damaged, until one is imported. */
  private lost: string | undefined;
  private readonly metaFile: string;
  private readonly keystoreFile: string;

  /** Private too: it reaches the secret store, and a logged service object must show nothing behind it. */
  readonly #options: WalletServiceOptions;
  readonly #now: () => number;
  readonly #gate: PassphraseGate;
  readonly #confirmations: Confirmations;
  /** What open() had to repair, in words for the user (a damaged file set aside); undefined when all was well. */
  notice: string | undefined;

  constructor(options: WalletServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#gate = new PassphraseGate(this.#now);
    this.#confirmations = new Confirmations(this.#now);
    this.metaFile = join(options.dir, 'wallet.json');
    this.keystoreFile = join(options.dir, 'keystore.json');
  }

  /**
   * Loads the wallet saved earlier, if any. A keystore-file wallet stays locked until unlock(). A damaged wallet
   * file or keystore is renamed aside (never deleted), the wallet is rebuilt from what is intact, and `notice`
   * says what happened and what to do.
   */
  async open(): Promise<WalletInfo> {
    const loaded = await loadWalletFiles(this.metaFile, this.keystoreFile, this.#now());
    this.notice = loaded.notice;
    this.lost = loaded.lost;
    const meta = loaded.meta;
    if (!meta) return this.info();
    if (loaded.rebuilt) await this.saveMeta(meta);
    this.meta = meta;
    if (this.meta.backup === 'phrase-pending') {
      // The phrase lived in memory only; the backup is now an encrypted export.
      await this.saveMeta({ ...this.meta, backup: 'export-recommended' });
    }
    if (this.meta.storage !== 'keystore-file') {
      try {
        await this.loadFromStore(this.meta);
      } catch (error) {
        this.#options.logger.warn(`wallet: ${errorText(error)}`);
      }
    }
    return this.info();
  }

  info(): WalletInfo {
    if (!this.meta) return this.lost ? { state: 'none', lost: { address: this.lost } } : { state: 'none' };
    const { address, storage, backup } = this.meta;
    return { state: this.#key ? 'ready' : 'locked', address, storage, backup };
  }

  /** A new random key (BIP-39, 12 words). Show the phrase with revealRecoveryPhrase(), then confirmBackup(). */
  async create(args: { passphrase?: string | undefined }): Promise<WalletInfo> {
    this.requireNoWallet();
    const created = Wallet.createRandom();
    await this.adopt(new Wallet(created.privateKey), args.passphrase, 'phrase-pending');
    this.#phrase = created.mnemonic?.phrase;
    this.#options.logger.info(`wallet: created ${created.address} (${this.meta?.storage})`);
    return this.info();
  }

  /**
   * A recovery phrase, a private key, or a backup file with its passphrase. Where the key must go into a keystore
   * file and no passphrase was chosen for it, a backup's own passphrase (if long enough) protects it.
   */
  async import(args: { secret: ImportSecret; passphrase?: string | undefined }): Promise<WalletInfo> {
    this.requireNoWallet();
    const key = await keyFromSecret(args.secret, (json, passphrase) =>
      this.#gate.run(() =>
        openKeystore(json, passphrase, percentSteps('decrypt', this.#options.onProgress), {
          wrong: 'That passphrase does not open this backup file.',
          damaged: new WalletError('BAD_BACKUP', 'That backup file is damaged: its key cannot be read. Try another copy.'),
        }),
      ),
    );
    const own = args.secret.kind === 'keystore' ? args.secret.passphrase : undefined;
    await this.adopt(key, args.passphrase ?? (PassphraseSchema.safeParse(own).success ? own : undefined), 'imported');
    this.#options.logger.info(`wallet: imported ${key.address} (${this.meta?.storage})`);
    return this.info();
  }

  /**
   * The one call that returns the phrase, for the backup screen, only until the backup is confirmed; from the
   * second time on it needs the same proof as an export.
   */
  async revealRecoveryPhrase(args: { confirm: 'show-recovery-phrase'; auth?: Authorization | undefined }): Promise<RecoveryPhrase> {
    if (args.confirm !== 'show-recovery-phrase' || !this.#phrase) {
      throw new WalletError('NO_PENDING_PHRASE', 'The recovery phrase is shown only once, right after the wallet is created.');
    }
    // A key in a passphrase file shows its phrase only to whoever knows the passphrase, the first time too.
    if (this.#revealed || this.meta?.storage === 'keystore-file') await this.authorize('reveal', args.auth);
    this.#revealed = true;
    const phrase = this.#phrase;
    if (!phrase) throw new WalletError('NO_PENDING_PHRASE', 'There is no recovery phrase waiting to be confirmed.');
    return { words: phrase.split(' ') };
  }

  /** For OS-kept keys: starts the cool-down after which export/remove/reveal accept the address typed back. */
  requestConfirmation(args: { action: GuardedAction }): Confirmation & { token: string } {
    const meta = this.requireWallet();
    if (meta.storage === 'keystore-file') throw needsPassphrase(args.action);
    this.#options.logger.info(`wallet: confirmation asked for to ${args.action}`);
    return this.#confirmations.request(args.action);
  }

  confirmations(): Confirmation[] {
    return this.#confirmations.list();
  }

  /** The user types back the words at the positions the UI asked for; then the phrase is forgotten for good. */
  async confirmBackup(args: { words: { position: number; word: string }[] }): Promise<WalletInfo> {
    const words = this.#phrase?.split(' ');
    if (!words || !this.meta) throw new WalletError('NO_PENDING_PHRASE', 'There is no recovery phrase waiting to be confirmed.');
    const wrong = args.words.find(({ position, word }) => words[position - 1] !== word.trim().toLowerCase());
    if (wrong) throw new WalletError('BACKUP_MISMATCH', `Word ${wrong.position} does not match. Check what you wrote down.`);
    this.#phrase = undefined;
    this.#revealed = false;
    await this.saveMeta({ ...this.meta, backup: 'confirmed' });
    return this.info();
  }

  /** Decrypts the keystore file (keystore-file storage) so the wallet can sign during this run. */
  async unlock(args: { passphrase: string }): Promise<WalletInfo> {
    const meta = this.requireWallet();
    if (this.#key) return this.info();
    if (meta.storage !== 'keystore-file') {
      // The OS store failed at open(); try again (the user may have unlocked their keyring since).
      await this.loadFromStore(meta);
      return this.info();
    }
    // One scrypt at a time: calls queued behind a successful one find the key there and return at once.
    await this.#gate.run(async () => {
      this.#key ??= await this.decryptKeystore(args.passphrase);
    });
    return this.info();
  }

  /**
   * A V3 keystore of the key encrypted with `passphrase`, the backup to keep away from this computer: saved where
   * the user chooses in the save dialog (desktop), else handed to the page to save as a download (headless).
   */
  async exportKeystore(args: { passphrase: string; auth?: Authorization | undefined }): Promise<BackupSaved> {
    const key = this.requireKey();
    await this.authorize('export', args.auth);
    const json = await this.encrypt(key, args.passphrase);
    const fileName = `synor-wallet-${key.address}.json`;
    const save = this.#options.saveBackup;
    const saved: BackupSaved = save ? await saveBackupWith(save, fileName, json, this.#options.logger) : { to: 'download', fileName, json };
    if (saved.to !== 'cancelled' && this.meta?.backup === 'export-recommended') await this.saveMeta({ ...this.meta, backup: 'confirmed' });
    return saved;
  }

  /** For keystore-file storage: re-encrypts the file under a new passphrase. */
  async changePassphrase(args: { current: string; next: string }): Promise<WalletInfo> {
    const meta = this.requireWallet();
    if (meta.storage !== 'keystore-file') {
      throw new WalletError(
        'NOT_APPLICABLE',
        'Your key is protected by the operating system and has no passphrase. Export a backup instead.',
      );
    }
    const key = await this.#gate.run(() => this.decryptKeystore(args.current));
    await writeKeystore(this.keystoreFile, await this.encrypt(key, args.next));
    this.#key = key;
    this.#options.logger.info('wallet: passphrase changed');
    return this.info();
  }

  /**
   * Deletes the key from this computer: the address typed back, and the passphrase (or, for OS-kept keys, a
   * confirmation after its cool-down). Without a backup the funds are gone.
   */
  async remove(args: { address: string; auth?: Authorization | undefined }): Promise<WalletInfo> {
    const meta = this.requireWallet();
    if (args.address.toLowerCase() !== meta.address.toLowerCase()) {
      throw new WalletError('NOT_APPLICABLE', 'The address typed does not match this wallet; nothing was removed.');
    }
    await this.authorize('remove', args.auth);
    if (meta.storage === 'keystore-file') await rm(this.keystoreFile, { force: true });
    else await this.store(meta.storage).delete(accountFor(meta.address));
    await rm(this.metaFile, { force: true });
    this.forget();
    this.#options.logger.info(`wallet: removed ${meta.address}`);
    return this.info();
  }

  /** Signs EIP-712 data (device registration) without handing out the key. */
  signer(): TypedDataSigner {
    const key = this.requireKey();
    return {
      address: key.address,
      signTypedData: (domain, types, value) => key.signTypedData(domain, types, value),
    };
  }

  /** Claims a coordinator voucher on `chain`, paid to this wallet. */
  claim(chain: ChainClient, voucher: Voucher, onSent?: (record: ClaimRecord) => void): Promise<ClaimRecord> {
    return chain.claim(this.requireKey().connect(chain.provider), voucher, onSent);
  }

  /** The passphrase for keystore-file wallets, else a confirmation past its cool-down and the address typed back. */
  async authorize(action: GuardedAction, auth: Authorization | undefined): Promise<void> {
    const meta = this.requireWallet();
    if (meta.storage === 'keystore-file') {
      if (!auth || !('passphrase' in auth)) throw needsPassphrase(action);
      await this.#gate.run(() => this.decryptKeystore(auth.passphrase));
      return;
    }
    // Without a token this throws, saying how to get one.
    if (!auth || !('token' in auth)) return this.#confirmations.consume(action, '');
    if (auth.address.toLowerCase() !== meta.address.toLowerCase()) {
      throw new WalletError('NOT_APPLICABLE', 'The address typed does not match this wallet; nothing was done.');
    }
    this.#confirmations.consume(action, auth.token);
  }

  /** The wallet's key is gone (its record already set aside, `notice` says so): no wallet, said, and the call fails. */
  private lose(meta: Meta, notice: string, code: 'KEYSTORE_DAMAGED' | 'SECRET_STORE'): never {
    this.notice = notice;
    this.forget();
    this.lost = meta.address;
    this.#options.logger.warn(`wallet: ${notice}`);
    this.#options.onNotice?.(notice);
    throw new WalletError(code, notice);
  }

  /** This computer has no wallet any more (removed, or its key file lost). */
  private forget(): void {
    this.#key = undefined;
    this.#phrase = undefined;
    this.#revealed = false;
    this.#confirmations.cancel();
    this.meta = undefined;
  }

  private requireNoWallet(): void {
    if (this.meta) throw new WalletError('WALLET_EXISTS', 'This computer already has a wallet. Remove it first (after a backup).');
  }

  private requireWallet(): Meta {
    if (!this.meta) throw new WalletError('NO_WALLET', 'There is no wallet yet: create or import one.');
    return this.meta;
  }

  private requireKey(): Wallet {
    this.requireWallet();
    if (!this.#key) throw new WalletError('LOCKED', 'The wallet is locked: enter your passphrase to unlock it.');
    return this.#key;
  }

  private store(storage: KeyStorage): SecretStore {
    const secrets = this.#options.secrets;
    if (!secrets || secrets.kind !== storage) {
      throw new WalletError('SECRET_STORE', `This wallet's key is kept by ${storage}, which is not available in this mode.`);
    }
    return secrets;
  }

  private async loadFromStore(meta: Meta): Promise<void> {
    const store = this.store(meta.storage);
    const unreadable = (why: string) =>
      new WalletError('SECRET_STORE', `The ${meta.storage} could not be read (${why}). Unlock it and try again.`);
    let secret: string | null;
    try {
      secret = await store.get(accountFor(meta.address));
    } catch (error) {
      throw unreadable(errorText(error));
    }
    if (!secret) {
      // A store that cannot be used right now (a locked keyring may answer "nothing") is not a lost key: stay locked.
      const unavailable = await store.unavailableReason();
      if (unavailable) throw unreadable(unavailable.message);
      // It works and has no key for this wallet (cleared, another user profile): a dead end unless the record goes
      // aside, so that importing the phrase or backup works at once.
      this.lose(meta, await setAsideKeylessRecord(this.metaFile, meta.storage, meta.address, this.#now()), 'SECRET_STORE');
    }
    const key = new Wallet(secret);
    if (key.address !== meta.address)
      throw new WalletError('SECRET_STORE', `The ${meta.storage} holds a different key than ${meta.address}.`);
    this.#key = key;
  }

  /** Keeps the key in the OS store when there is one; otherwise in a keystore file under the user's passphrase. */
  private async adopt(key: Wallet, passphrase: string | undefined, backup: Meta['backup']): Promise<void> {
    const store = await usableStore(this.#options.secrets);
    let storage: KeyStorage;
    if (store.ok) {
      await store.value.set(accountFor(key.address), key.privateKey);
      storage = store.value.kind;
    } else if (passphrase) {
      this.#options.logger.warn(`wallet: ${store.error.message}; keeping the key in a passphrase-encrypted keystore file`);
      const json = await this.encrypt(key, passphrase);
      // A key file left from an earlier wallet (its wallet.json lost) may be the only copy of that key: keep it.
      if ((await readKeystore(this.keystoreFile)).status !== 'missing') {
        const aside = await setAside(this.keystoreFile, 'old', this.#now());
        this.#options.logger.warn(`wallet: an earlier key file was kept as ${aside}`);
      }
      await writeKeystore(this.keystoreFile, json);
      storage = 'keystore-file';
    } else {
      throw new WalletError(
        'PASSPHRASE_REQUIRED',
        `Your key cannot go into the OS keychain: ${store.error.message}. Choose a passphrase instead: the key will be kept in a file ` +
          'encrypted with it, and you will enter it once each time the app starts.',
      );
    }
    this.#key = key;
    this.lost = undefined;
    await this.saveMeta({ version: 1, address: key.address, storage, backup });
  }

  private async saveMeta(meta: Meta): Promise<void> {
    await writeFileAtomic(this.metaFile, `${JSON.stringify(meta, null, 2)}\n`);
    this.meta = meta;
  }

  private encrypt(key: Wallet, passphrase: string): Promise<string> {
    return encryptKeystore({ address: key.address, privateKey: key.privateKey }, passphrase, {
      scryptN: this.#options.scryptN,
      onProgress: percentSteps('encrypt', this.#options.onProgress),
    });
  }

  /**
   * Damage is found by the file's own checks first, so "incorrect password" below really is the passphrase. A key
   * file gone or damaged while the app runs is set aside at once, like at start, so its backup can be imported.
   */
  private async decryptKeystore(passphrase: string): Promise<Wallet> {
    const read = await readKeystore(this.keystoreFile);
    if (read.status !== 'ok') {
      const meta = this.requireWallet();
      const notice = await setAsideLostKey({ metaFile: this.metaFile, keystoreFile: this.keystoreFile }, read, meta.address, this.#now());
      this.lose(meta, notice, 'KEYSTORE_DAMAGED');
    }
    return openKeystore(read.json, passphrase, percentSteps('decrypt', this.#options.onProgress), {
      wrong: 'That passphrase does not open this wallet.',
      damaged: new WalletError(
        'KEYSTORE_DAMAGED',
        'The file holding your wallet key is damaged. Import your recovery phrase or your exported backup.',
      ),
    });
  }
}
