import { z } from 'zod';
import { WeiString } from './integers.js';
import { isAllowedCoordinatorUrl } from './network.js';

/**
 * Wallet DTOs. Nothing here ever carries a private key or a recovery phrase, except RecoveryPhraseSchema, the
 * answer of the one confirm-gated call that shows the phrase once after creation.
 */

/** Wallet and chain failures; the agent's ErrorCodeSchema includes these. */
export const WalletErrorCodeSchema = z.enum([
  'NO_WALLET',
  'WALLET_EXISTS',
  'LOCKED', // key in the keystore file, passphrase not entered yet
  'PASSPHRASE_REQUIRED', // no OS secret store: a passphrase must protect the keystore file
  'WRONG_PASSPHRASE',
  'BAD_SECRET', // import: not a valid phrase / private key
  'BAD_BACKUP', // import: a backup file that is not a wallet backup, or one too costly to open
  'NO_PENDING_PHRASE',
  'BACKUP_MISMATCH',
  'NOT_APPLICABLE',
  'SECRET_STORE', // the OS store failed or holds no key for this wallet
  'STORAGE', // a wallet file could not be read or written
  'CHAIN_UNREACHABLE',
  'WRONG_CHAIN',
  'NO_CONTRACT',
  'CLAIM_REJECTED',
  'VOUCHER_MISMATCH', // the coordinator's voucher does not match this device's own receipts, or the contract's signer
  'COORDINATOR_UNREACHABLE', // no voucher could be fetched
  'KEYSTORE_DAMAGED', // keystore.json changed or cut short: set aside; a backup must be imported
  'CONFIRMATION_REQUIRED', // export/remove/reveal need the passphrase or, for OS-kept keys, a confirmation
  'RATE_LIMITED', // too many wrong passphrases in a row: wait, then retry
]);
export type WalletErrorCode = z.infer<typeof WalletErrorCodeSchema>;

export const AddressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be an 0x-prefixed 20-byte hex address');
/** Whether two addresses are one, whatever their checksum case (`a` may be missing: then not). */
export const sameAddress = (a: string | undefined, b: string): boolean => a?.toLowerCase() === b.toLowerCase();
/** An address as a sentence names it: 0xAbCd…1234. */
export const shortAddress = (address: string): string => `${address.slice(0, 6)}…${address.slice(-4)}`;
export const TxHashSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
/** Token amounts in base units (wei), as decimal strings: JSON has no bigint. Never negative on a chain. */
export const AmountSchema = WeiString.refine((wei) => !wei.startsWith('-'), 'an amount on a chain is never negative');
export const PassphraseSchema = z.string().min(8, 'use at least 8 characters').max(1024);

/** Where the key lives: the OS keychain, Electron safeStorage, or an encrypted keystore file (passphrase). */
export const KeyStorageSchema = z.enum(['keychain', 'safe-storage', 'keystore-file']);
export type KeyStorage = z.infer<typeof KeyStorageSchema>;

/**
 * `phrase-pending`: created here, the phrase can still be shown (until confirmBackup or a restart);
 * `confirmed`: the user proved they wrote it down; `imported`: the user already has their backup;
 * `export-recommended`: the phrase was never confirmed and is gone, so an encrypted keystore export is the backup.
 */
export const BackupStateSchema = z.enum(['phrase-pending', 'confirmed', 'imported', 'export-recommended']);

export const WalletInfoSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('none'),
    /** A wallet whose key file went missing or was damaged during this run: set aside, its address kept to say which. */
    lost: z.object({ address: AddressSchema }).optional(),
  }),
  z.object({
    /** `locked`: kept in the keystore file; the passphrase is needed once per run before signing. */
    state: z.enum(['ready', 'locked']),
    address: AddressSchema,
    storage: KeyStorageSchema,
    backup: BackupStateSchema,
  }),
]);
export type WalletInfo = z.infer<typeof WalletInfoSchema>;

/** The only secret-bearing DTO: returned once, by revealRecoveryPhrase, to a caller that confirmed. */
export const RecoveryPhraseSchema = z.object({ words: z.array(z.string()).length(12) });
export type RecoveryPhrase = z.infer<typeof RecoveryPhraseSchema>;

/** What export, remove and a second phrase reveal must prove (see core/wallet/guard.ts). */
export const GuardedActionSchema = z.enum(['export', 'remove', 'reveal', 'delegate']);
export type GuardedAction = z.infer<typeof GuardedActionSchema>;
/**
 * Keystore-file wallets: the wallet passphrase. OS-kept keys: the token of a confirmation asked for at least
 * CONFIRM_COOLDOWN_MS earlier, and the address typed back. Holding the local API token alone is not enough.
 */
export const AuthorizationSchema = z.union([
  z.object({ passphrase: z.string().min(1).max(1024) }).strict(),
  z.object({ token: z.string().regex(/^[0-9a-f]{32}$/), address: AddressSchema }).strict(),
]);
export const ConfirmationSchema = z.object({ action: GuardedActionSchema, readyAt: z.number(), expiresAt: z.number() });
export type Confirmation = z.infer<typeof ConfirmationSchema>;
export const RequestConfirmationArgsSchema = z.object({ action: GuardedActionSchema });

// Command arguments (renderer → agent). Import carries the secret inbound once; nothing echoes it back.
export const CreateWalletArgsSchema = z.object({
  /** Required only when no OS secret store is available (the key then lives in a passphrase-encrypted file). */
  passphrase: PassphraseSchema.optional(),
});
export const ImportWalletArgsSchema = z.object({
  secret: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('phrase'), phrase: z.string().min(1).max(1000) }),
    z.object({ kind: z.literal('privateKey'), privateKey: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 64 hex digits') }),
    /** A V3 keystore file's text (this app's encrypted backup or another wallet's) and the passphrase that opens it. */
    z.object({ kind: z.literal('keystore'), json: z.string().min(1).max(64_000), passphrase: z.string().min(1).max(1024) }),
  ]),
  passphrase: PassphraseSchema.optional(),
});
/** The user shows they have the phrase by typing the words the UI asked for (1-based positions). */
export const ConfirmBackupArgsSchema = z.object({
  words: z
    .array(z.object({ position: z.number().int().min(1).max(12), word: z.string() }))
    .min(3)
    .max(12),
});
export const RevealPhraseArgsSchema = z.object({
  /** Explicit consent: the phrase is about to be on screen. */
  confirm: z.literal('show-recovery-phrase'),
  /** Needed from the second reveal on: the first is the backup screen right after creation. */
  auth: AuthorizationSchema.optional(),
});
export const UnlockArgsSchema = z.object({ passphrase: z.string().min(1) });
/** `passphrase` encrypts the export; `auth` proves the caller may take the key out at all. */
export const ExportKeystoreArgsSchema = z.object({ passphrase: PassphraseSchema, auth: AuthorizationSchema.optional() });
export const ChangePassphraseArgsSchema = z.object({ current: z.string().min(1), next: PassphraseSchema });
/** Removing needs the address typed back, so a stray click cannot delete a key. */
export const RemoveWalletArgsSchema = z.object({ address: AddressSchema, auth: AuthorizationSchema.optional() });

/**
 * Where an export went. `download`: an encrypted (scrypt + AES-128-CTR) V3 keystore, useless without its passphrase,
 * for the page to save as a browser download (headless mode); `file`: the desktop app saved it where the user chose;
 * `cancelled`: the user closed the save window, nothing was written.
 */
export const BackupSavedSchema = z.discriminatedUnion('to', [
  z.object({ to: z.literal('download'), fileName: z.string(), json: z.string() }),
  z.object({ to: z.literal('file'), path: z.string() }),
  z.object({ to: z.literal('cancelled') }),
]);
export type BackupSaved = z.infer<typeof BackupSavedSchema>;

/** Long scrypt work reports progress (0..1) so the UI can show a bar. */
export const KeyWorkProgressSchema = z.object({ op: z.enum(['encrypt', 'decrypt']), fraction: z.number().min(0).max(1) });
export type KeyWorkProgress = z.infer<typeof KeyWorkProgressSchema>;

// Chain.
export const ChainSettingsSchema = z.object({
  /** The same rule as the coordinator's: nobody on the way may change what the chain answers. */
  rpcUrl: z.string().max(2048).refine(isAllowedCoordinatorUrl, 'Use an https:// address (plain http only for 127.0.0.1 or localhost)'),
  chainId: z.number().int().positive(),
  tokenAddress: AddressSchema,
  payoutAddress: AddressSchema,
  /** Shown next to balances, e.g. "test tokens" on the devnet. */
  label: z.string().max(80).optional(),
});
export type ChainSettings = z.infer<typeof ChainSettingsSchema>;

/** Receipts [firstSeq, lastSeq] of one device (its `seq` numbers, from 1) and what they are worth in wei. */
export const ReceiptRangeSchema = z
  .object({
    deviceId: z.string().min(1).max(128),
    firstSeq: z.number().int().positive(),
    lastSeq: z.number().int().positive(),
    amount: AmountSchema,
  })
  .strict()
  .refine((r) => r.lastSeq >= r.firstSeq, 'lastSeq must not be below firstSeq');
export type ReceiptRange = z.infer<typeof ReceiptRangeSchema>;

/**
 * What the coordinator signs (EIP-712) for the device owner: the receipts in `ranges` are worth `amount` wei (the
 * sum of the ranges' amounts). The payout contract pays a range only when it starts right after that device's last
 * paid receipt.
 */
export const VoucherSchema = z
  .object({
    owner: AddressSchema,
    amount: AmountSchema,
    ranges: z.array(ReceiptRangeSchema).min(1).max(64),
    /** Unix seconds. */
    expiry: z.number().int().positive(),
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
  })
  .strict();
export type Voucher = z.infer<typeof VoucherSchema>;

export const VOUCHER_TYPES = {
  Voucher: [
    { name: 'owner', type: 'address' },
    { name: 'amount', type: 'uint256' },
    { name: 'ranges', type: 'Range[]' },
    { name: 'expiry', type: 'uint64' },
  ],
  Range: [
    { name: 'deviceId', type: 'string' },
    { name: 'firstSeq', type: 'uint64' },
    { name: 'lastSeq', type: 'uint64' },
    { name: 'amount', type: 'uint256' },
  ],
};

export const payoutDomain = (chainId: number, payoutAddress: string) => ({
  name: 'SynorPayout',
  version: '1',
  chainId,
  verifyingContract: payoutAddress,
});

export const ClaimRecordSchema = z.object({
  txHash: TxHashSchema,
  amount: AmountSchema,
  /** The receipts this claim pays. */
  ranges: z.array(ReceiptRangeSchema),
  status: z.enum(['pending', 'confirmed', 'failed']),
  /** Unix ms: block time when confirmed, send time otherwise. */
  at: z.number(),
  blockNumber: z.number().int().optional(),
  error: z.string().optional(),
});
export type ClaimRecord = z.infer<typeof ClaimRecordSchema>;

/** Wallet part of the agent state. */
export const WalletViewSchema = z.object({
  wallet: WalletInfoSchema,
  chain: z.object({
    status: z.enum(['ok', 'error', 'unconfigured']),
    chainId: z.number().int().optional(),
    label: z.string().optional(),
    message: z.string().optional(),
  }),
  balances: z.object({ synor: AmountSchema, native: AmountSchema }).optional(),
  /** Unpaid receipts the coordinator vouched for and that can be claimed now. */
  claimable: AmountSchema,
  claims: z.array(ClaimRecordSchema),
  /** Confirmations asked for and not used yet (OS-kept keys): shown so a request the user did not make is seen. */
  confirmations: z.array(ConfirmationSchema).optional(),
  /** A passphrase being checked or a key being encrypted (seconds of scrypt): how far, for a progress bar. */
  keyWork: KeyWorkProgressSchema.optional(),
  /** This computer as the network knows it (its device id) and as the user does (its name): claims name it so. */
  thisDevice: z.object({ id: z.string(), name: z.string() }).optional(),
});
export type WalletView = z.infer<typeof WalletViewSchema>;

const NoArgs = z.object({}).strict().optional();

/**
 * The wallet commands, in the shape of contract.ts `commands` (the agent spreads them in). Every result is
 * secret-free except walletRevealPhrase's, which needs an explicit confirmation and works only until the backup
 * is confirmed.
 */
export const walletCommands = {
  getWallet: { args: NoArgs, result: WalletViewSchema },
  walletCreate: { args: CreateWalletArgsSchema.strict(), result: WalletViewSchema },
  walletImport: { args: ImportWalletArgsSchema.strict(), result: WalletViewSchema },
  walletRevealPhrase: { args: RevealPhraseArgsSchema.strict(), result: RecoveryPhraseSchema },
  walletConfirmBackup: { args: ConfirmBackupArgsSchema.strict(), result: WalletViewSchema },
  walletUnlock: { args: UnlockArgsSchema.strict(), result: WalletViewSchema },
  walletRequestConfirmation: {
    args: RequestConfirmationArgsSchema.strict(),
    result: ConfirmationSchema.extend({ token: z.string() }),
  },
  walletExport: { args: ExportKeystoreArgsSchema.strict(), result: BackupSavedSchema },
  walletChangePassphrase: { args: ChangePassphraseArgsSchema.strict(), result: WalletViewSchema },
  walletRemove: { args: RemoveWalletArgsSchema.strict(), result: WalletViewSchema },
  walletClaim: { args: NoArgs, result: ClaimRecordSchema },
} as const;
export type WalletCommandName = keyof typeof walletCommands;
