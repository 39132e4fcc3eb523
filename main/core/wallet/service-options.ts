/** What the wallet service is given (where its files live, the OS secret store, clocks and callbacks) and the signer it hands out. */
import type { TypedDataDomain, TypedDataField } from 'ethers';
import type { KeyWorkProgress } from '../../common/wallet.js';
import type { BackupSaver, Logger } from '../ports.js';
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
  /** Unix ms; a test clock drives confirmation cool-downs and passphrase back-off. */
  now?: () => number;
  /** What the wallet had to repair while running (a key file found missing), for the activity log. */
  onNotice?: ((message: string) => void) | undefined;
  /** The desktop app's save dialog for backups; without it an export is handed to the page as a download. */
  saveBackup?: BackupSaver | undefined;
}
