import { z } from 'zod';
import { fail, ok, type Failure, type Result } from '../../common/result.js';

/**
 * The Web3 Secret Storage (V3 keystore) format, as geth, MetaMask, MyEtherWallet, Foundry and ethers write it: this
 * app's own keystore.json and backups, and other wallets' key files. Checked before any scrypt runs, so a file that
 * is not one (or cut short) is said plainly, and one whose key derivation would take more memory or time than a
 * wallet may spend is refused instead of freezing the computer.
 */
const hex = (bytes: number) => z.string().regex(new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`));
const salt = z.string().regex(/^(0x)?([0-9a-fA-F]{2}){1,128}$/);

/** geth's "standard" scrypt cost (n 2^18, r 8, p 1) is 256 MiB and 2^21 steps; twice as many steps are allowed. */
const MAX_SCRYPT_MEMORY = 2 ** 21; // n × r (the memory is 128 bytes for each)
const MAX_SCRYPT_WORK = 2 ** 22; // n × r × p
/** geth's PBKDF2 files use 262,144 rounds; forty times as many is still seconds. */
const MAX_PBKDF2_ROUNDS = 10_000_000;

const KdfSchema = z.discriminatedUnion('kdf', [
  z.object({
    kdf: z.literal('scrypt'),
    kdfparams: z.object({
      n: z
        .number()
        .int()
        .min(2)
        .refine((n) => (n & (n - 1)) === 0, 'n must be a power of two'),
      r: z.number().int().positive(),
      p: z.number().int().positive(),
      dklen: z.literal(32),
      salt,
    }),
  }),
  z.object({
    kdf: z.literal('pbkdf2'),
    kdfparams: z.object({ c: z.number().int().positive(), prf: z.enum(['hmac-sha256', 'hmac-sha512']), dklen: z.literal(32), salt }),
  }),
]);

const CryptoSchema = z.intersection(
  z.object({ cipher: z.literal('aes-128-ctr'), cipherparams: z.object({ iv: hex(16) }), ciphertext: hex(32), mac: hex(32) }),
  KdfSchema,
);
type Crypto = z.infer<typeof CryptoSchema>;

/** Older files (geth before 1.4) spell the field `Crypto`. */
const KeystoreSchema = z.object({
  version: z.literal(3),
  address: hex(20).optional(),
  crypto: CryptoSchema.optional(),
  Crypto: CryptoSchema.optional(),
});

/** Why a keystore is refused, in words that follow "That file is not a wallet backup this app can open: ". */
type Refused = { ok: false; error: Failure<'BAD_BACKUP'> };
const refused = (message: string): Refused => fail('BAD_BACKUP', message);

/** Why opening a keystore would cost more than this app allows, or null when it would not. */
function tooCostly(crypto: Crypto): Refused | null {
  if (crypto.kdf === 'pbkdf2')
    return crypto.kdfparams.c > MAX_PBKDF2_ROUNDS ? refused('it asks for more key rounds than this app allows') : null;
  const { n, r, p } = crypto.kdfparams;
  if (n * r > MAX_SCRYPT_MEMORY) return refused('opening it would need more memory than this app allows');
  return n * r * p > MAX_SCRYPT_WORK ? refused('opening it would take longer than this app allows') : null;
}

/** On success `json` is the keystore to decrypt, with only the fields that count. */
export type ParsedKeystore = Result<{ json: string; address: string | undefined }, 'BAD_BACKUP'>;

/** `value`: a parsed JSON value. */
export function parseKeystore(value: unknown): ParsedKeystore {
  const parsed = KeystoreSchema.safeParse(value);
  const crypto = parsed.success ? (parsed.data.crypto ?? parsed.data.Crypto) : undefined;
  if (!parsed.success || !crypto) return refused('it is not a complete V3 keystore');
  const costly = tooCostly(crypto);
  if (costly) return costly;
  const { address } = parsed.data;
  return ok({ json: JSON.stringify({ version: 3, ...(address ? { address } : {}), crypto }), address });
}

/** The text of a backup file, as pasted or picked by the user. */
export function parseKeystoreText(text: string): ParsedKeystore {
  try {
    return parseKeystore(JSON.parse(text));
  } catch {
    return refused('it is not a wallet backup file (not JSON)');
  }
}
