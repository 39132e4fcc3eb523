import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet, type TypedDataDomain, type TypedDataField } from 'ethers';
import { z } from 'zod';
import {
  AddressSchema,
  BackupStateSchema,
  KeyStorageSchema,
  type ClaimRecord,
  type KeyStorage,
  type KeyWorkProgress,
  type RecoveryPhrase,
  type Voucher,
  type WalletInfo,
} from '../../common/wallet.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Logger } from '../ports.js';
import type { ChainClient } from './chain.js';
import { WalletError } from './errors.js';
import { decryptKeystore, encryptKeystore } from './keystore-worker.js';
import type { SecretStore } from './secret-store.js';

/** What the network client needs to sign device registration: satisfied by this wallet and by any ethers Wallet. */
export interface TypedDataSigner {
  readonly address: string;
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

export interface WalletServiceOptions {
  /** Folder for wallet.json (address, where the key is) and keystore.json (the passphrase fallback). */
  dir: string;
  /** The OS secret store of this host, or null where there is none. */
  secrets: SecretStore | null;
  logger: Logger;
  /** scrypt cost for keystores; ethers' default (2^17, ≈0.8 s here) unless a test lowers it. */
  scryptN?: number;
  /** scrypt runs in a worker thread (the event loop stays free); this reports how far it got. */
  onProgress?: (progress: KeyWorkProgress) => void;
}

const MetaSchema = z.object({
  version: z.literal(1),
  address: AddressSchema,
  storage: KeyStorageSchema,
  backup: BackupStateSchema,
});
type Meta = z.infer<typeof MetaSchema>;

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
  private meta: Meta | undefined;
  private readonly metaFile: string;
  private readonly keystoreFile: string;

  /** Private too: it reaches the secret store, and a logged service object must show nothing behind it. */
  readonly #options: WalletServiceOptions;

  constructor(options: WalletServiceOptions) {
    this.#options = options;
    this.metaFile = join(options.dir, 'wallet.json');
    this.keystoreFile = join(options.dir, 'keystore.json');
  }

  /** Loads the wallet saved earlier, if any. A keystore-file wallet stays locked until unlock(). */
  async open(): Promise<WalletInfo> {
    const text = await readFile(this.metaFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new WalletError('STORAGE', `Cannot read ${this.metaFile}: ${error.message}`);
    });
    if (text === undefined) return this.info();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = MetaSchema.safeParse(json);
    if (!parsed.success) throw new WalletError('STORAGE', `${this.metaFile} is not a wallet file this version understands.`);
    this.meta = parsed.data;
    if (this.meta.backup === 'phrase-pending') {
      // The phrase lived in memory only; the backup is now an encrypted export.
      await this.saveMeta({ ...this.meta, backup: 'export-recommended' });
    }
    if (this.meta.storage !== 'keystore-file') {
      try {
        await this.loadFromStore(this.meta);
      } catch (error) {
        this.#options.logger.warn(`wallet: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return this.info();
  }

  info(): WalletInfo {
    if (!this.meta) return { state: 'none' };
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

  async import(args: {
    secret: { kind: 'phrase'; phrase: string } | { kind: 'privateKey'; privateKey: string };
    passphrase?: string | undefined;
  }): Promise<WalletInfo> {
    this.requireNoWallet();
    let key: Wallet;
    try {
      key =
        args.secret.kind === 'phrase'
          ? new Wallet(Wallet.fromPhrase(args.secret.phrase.trim().toLowerCase().split(/\s+/).join(' ')).privateKey)
          : new Wallet(args.secret.privateKey.startsWith('0x') ? args.secret.privateKey : `0x${args.secret.privateKey}`);
    } catch {
      // ethers' own message would be fine (it redacts) but says nothing a user can act on.
      throw new WalletError(
        'BAD_SECRET',
        args.secret.kind === 'phrase'
          ? 'That is not a valid recovery phrase: check every word and their order.'
          : 'That is not a valid private key.',
      );
    }
    await this.adopt(key, args.passphrase, 'imported');
    this.#options.logger.info(`wallet: imported ${key.address} (${this.meta?.storage})`);
    return this.info();
  }

  /** The one call that returns the phrase, for the backup screen, and only until the backup is confirmed. */
  revealRecoveryPhrase(args: { confirm: 'show-recovery-phrase' }): RecoveryPhrase {
    if (args.confirm !== 'show-recovery-phrase' || !this.#phrase) {
      throw new WalletError('NO_PENDING_PHRASE', 'The recovery phrase is shown only once, right after the wallet is created.');
    }
    return { words: this.#phrase.split(' ') };
  }

  /** The user types back the words at the positions the UI asked for; then the phrase is forgotten for good. */
  async confirmBackup(args: { words: { position: number; word: string }[] }): Promise<WalletInfo> {
    const words = this.#phrase?.split(' ');
    if (!words || !this.meta) throw new WalletError('NO_PENDING_PHRASE', 'There is no recovery phrase waiting to be confirmed.');
    const wrong = args.words.find(({ position, word }) => words[position - 1] !== word.trim().toLowerCase());
    if (wrong) throw new WalletError('BACKUP_MISMATCH', `Word ${wrong.position} does not match. Check what you wrote down.`);
    this.#phrase = undefined;
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
    this.#key = await this.decryptKeystore(args.passphrase);
    return this.info();
  }

  /** A V3 keystore of the key encrypted with `passphrase`: the backup to save outside this computer. */
  async exportKeystore(args: { passphrase: string }): Promise<{ fileName: string; json: string }> {
    const key = this.requireKey();
    const json = await this.encrypt(key, args.passphrase);
    if (this.meta?.backup === 'export-recommended') await this.saveMeta({ ...this.meta, backup: 'confirmed' });
    return { fileName: `synor-wallet-${key.address}.json`, json };
  }

  /** For keystore-file storage: re-encrypts the file under a new passphrase. */
  async changePassphrase(args: { current: string; next: string }): Promise<WalletInfo> {
    const meta = this.requireWallet();
    if (meta.storage !== 'keystore-file') {
      throw new WalletError('NOT_APPLICABLE', 'Your key is protected by the operating system and has no passphrase. Export a backup instead.');
    }
    const key = await this.decryptKeystore(args.current);
    await writeFileAtomic(this.keystoreFile, await this.encrypt(key, args.next));
    this.#key = key;
    this.#options.logger.info('wallet: passphrase changed');
    return this.info();
  }

  /** Deletes the key from this computer. The address must be typed back; without a backup the funds are gone. */
  async remove(args: { address: string }): Promise<WalletInfo> {
    const meta = this.requireWallet();
    if (args.address.toLowerCase() !== meta.address.toLowerCase()) {
      throw new WalletError('NOT_APPLICABLE', 'The address typed does not match this wallet; nothing was removed.');
    }
    if (meta.storage === 'keystore-file') await rm(this.keystoreFile, { force: true });
    else await this.store(meta.storage).delete(accountFor(meta.address));
    await rm(this.metaFile, { force: true });
    this.#key = undefined;
    this.#phrase = undefined;
    this.meta = undefined;
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
    let secret: string | null;
    try {
      secret = await this.store(meta.storage).get(accountFor(meta.address));
    } catch (error) {
      if (error instanceof WalletError) throw error;
      throw new WalletError('SECRET_STORE', `The ${meta.storage} could not be read (${(error as Error).message}). Unlock it and try again.`);
    }
    if (!secret) throw new WalletError('SECRET_STORE', `The ${meta.storage} holds no key for ${meta.address}. Import your backup.`);
    const key = new Wallet(secret);
    if (key.address !== meta.address) throw new WalletError('SECRET_STORE', `The ${meta.storage} holds a different key than ${meta.address}.`);
    this.#key = key;
  }

  /** Keeps the key in the OS store when there is one; otherwise in a keystore file under the user's passphrase. */
  private async adopt(key: Wallet, passphrase: string | undefined, backup: Meta['backup']): Promise<void> {
    const secrets = this.#options.secrets;
    const reason = secrets ? await secrets.unavailableReason() : 'this mode has no OS secret store';
    let storage: KeyStorage;
    if (secrets && reason === null) {
      await secrets.set(accountFor(key.address), key.privateKey);
      storage = secrets.kind;
    } else if (passphrase) {
      this.#options.logger.warn(`wallet: ${reason}; keeping the key in a passphrase-encrypted keystore file`);
      await writeFileAtomic(this.keystoreFile, await this.encrypt(key, passphrase));
      storage = 'keystore-file';
    } else {
      throw new WalletError(
        'PASSPHRASE_REQUIRED',
        `Your key cannot go into the OS keychain: ${reason}. Choose a passphrase instead: the key will be kept in a file ` +
          'encrypted with it, and you will enter it once each time the app starts.',
      );
    }
    this.#key = key;
    await this.saveMeta({ version: 1, address: key.address, storage, backup });
  }

  private async saveMeta(meta: Meta): Promise<void> {
    await writeFileAtomic(this.metaFile, `${JSON.stringify(meta, null, 2)}\n`);
    this.meta = meta;
  }

  /** scrypt reports thousands of steps; the UI needs a bar, so only whole percents (and the end) go out. */
  private progress(op: KeyWorkProgress['op']): ((fraction: number) => void) | undefined {
    const { onProgress } = this.#options;
    if (!onProgress) return undefined;
    let last = -1;
    return (fraction) => {
      const percent = Math.floor(fraction * 100);
      if (percent === last) return;
      last = percent;
      onProgress({ op, fraction });
    };
  }

  private encrypt(key: Wallet, passphrase: string): Promise<string> {
    return encryptKeystore({ address: key.address, privateKey: key.privateKey }, passphrase, {
      scryptN: this.#options.scryptN,
      onProgress: this.progress('encrypt'),
    });
  }

  private async decryptKeystore(passphrase: string): Promise<Wallet> {
    const json = await readFile(this.keystoreFile, 'utf8').catch((error: Error) => {
      throw new WalletError('STORAGE', `Cannot read the keystore file ${this.keystoreFile}: ${error.message}`);
    });
    let account;
    try {
      account = await decryptKeystore(json, passphrase, this.progress('decrypt'));
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('incorrect password')) {
        throw new WalletError('WRONG_PASSPHRASE', 'That passphrase does not open this wallet.');
      }
      throw new WalletError('STORAGE', `The keystore file ${this.keystoreFile} is damaged; import your backup.`);
    }
    return new Wallet(account.privateKey);
  }
}
