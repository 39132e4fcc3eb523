import { z } from 'zod';
import { Address, EpochSchema, Id, RegisterRequestSchema, Signature, type TypedDataTypes } from './protocol.js';
import { AuthorizationSchema } from './wallet.js';

/**
 * One wallet for a fleet (docs/protocol.md, "Delegation"): the owner's key signs that a member machine's own device
 * key may register devices that earn to the owner, and may sign a revocation that ends it. Both are EIP-712 typed
 * data in the registration's domain (`eip712Domain(chainId)`), so a coordinator checks them as it checks a
 * registration, and a wallet can show them field by field.
 */

const Ms = z.number().int().positive();

export const DelegationSchema = z
  .object({
    /** Whose earnings: every receipt of a device registered under this delegation names this owner. */
    owner: Address,
    /** The member's device key: the only key whose registrations this delegation carries. */
    delegate: Address,
    /** The one device id it may register, or "" for any device of that key. */
    deviceId: z.union([Id, z.literal('')]),
    /** Coordinator time (epoch ms) as the owner's machine estimated it when it signed. */
    issuedAt: Ms,
    /** Coordinator time (epoch ms) after which it no longer counts; 0: until revoked. */
    expiresAt: z.number().int().nonnegative(),
    /** 32 random bytes: two delegations of the same fields are still two. */
    nonce: z.string().regex(/^0x[0-9a-f]{64}$/, '0x and 64 lower-case hex digits'),
  })
  .strict()
  .refine((d) => d.expiresAt === 0 || d.expiresAt > d.issuedAt, 'a delegation must expire after it was issued');
export type Delegation = z.infer<typeof DelegationSchema>;

export const SignedDelegationSchema = z.object({ delegation: DelegationSchema, signature: Signature }).strict();
export type SignedDelegation = z.infer<typeof SignedDelegationSchema>;

export const DELEGATION_TYPES: TypedDataTypes = {
  Delegation: [
    { name: 'owner', type: 'address' },
    { name: 'delegate', type: 'address' },
    { name: 'deviceId', type: 'string' },
    { name: 'issuedAt', type: 'uint64' },
    { name: 'expiresAt', type: 'uint64' },
    { name: 'nonce', type: 'bytes32' },
  ],
};

/**
 * A registration signed by a member's device key carries the owner's delegation for that key (docs/protocol.md,
 * "Delegation"); one signed by the owner carries none. A coordinator that does not know delegations refuses the field.
 */
export const DelegatedRegisterRequestSchema = RegisterRequestSchema.extend({ delegation: SignedDelegationSchema.optional() }).strict();
export type DelegatedRegisterRequest = z.infer<typeof DelegatedRegisterRequestSchema>;

/** Ends every delegation the owner gave the delegate key that was issued at or before `issuedAt`. */
export const RevocationSchema = z
  .object({
    owner: Address,
    delegate: Address,
    /** Coordinator time (epoch ms): delegations issued later than this are not touched (a new one can follow). */
    issuedAt: Ms,
  })
  .strict();
export type Revocation = z.infer<typeof RevocationSchema>;

export const RevokeRequestSchema = z.object({ revocation: RevocationSchema, signature: Signature }).strict();
export type RevokeRequest = z.infer<typeof RevokeRequestSchema>;

export const REVOCATION_TYPES: TypedDataTypes = {
  Revocation: [
    { name: 'owner', type: 'address' },
    { name: 'delegate', type: 'address' },
    { name: 'issuedAt', type: 'uint64' },
  ],
};

const ServerTime = z.number().int().positive();

export const RevokeReplySchema = z.object({ status: z.enum(['revoked', 'already']), serverTime: ServerTime }).strict();
export type RevokeReply = z.infer<typeof RevokeReplySchema>;

/** Another device's signed epochs, served to a device of the same owner (without receipts: their sums are signed). */
export const OwnerEpochsReplySchema = z
  .object({
    epochs: z.array(z.object({ epoch: EpochSchema, signature: Signature }).strict()).max(256),
    /** The `lastSeq` of the page's last epoch: pass back as `cursor` for what came after. */
    nextCursor: z.number().int().nonnegative(),
    serverTime: ServerTime,
  })
  .strict();
export type OwnerEpochsReply = z.infer<typeof OwnerEpochsReplySchema>;

export const DELEGATION_ROUTES = {
  revoke: 'v1/delegations/revoke',
  ownerEpochs: (deviceId: string, cursor: number) => `v1/owner/epochs?device=${encodeURIComponent(deviceId)}&cursor=${cursor}`,
} as const;

// ---- Agent commands --------------------------------------------------------------------------------------------

const NoArgs = z.object({}).strict().optional();

/** What the member's agent earns under: shown so the user sees whose wallet its work goes to. */
export const DelegationUseSchema = z.object({ owner: Address, delegate: Address, deviceId: z.string(), expiresAt: z.number() });
export type DelegationUse = z.infer<typeof DelegationUseSchema>;

/**
 * The delegation commands, in the shape of contract.ts `commands` (the agent spreads them in). A delegation lets
 * another machine earn in the owner's name, so it needs the same proof as an export (core/wallet/guard.ts): the
 * passphrase, or a confirmation past its cool-down with the address typed back.
 */
export const delegationCommands = {
  /** On the owner: lets the member's device key earn to this wallet. */
  walletDelegate: {
    args: z
      .object({
        /** The member's device key, as its `networkDeviceKey` shows it. */
        deviceAddress: Address,
        /** Only this device of that key; left out: any. */
        deviceId: Id.optional(),
        /** Coordinator ms; left out: until revoked. */
        expiresAt: z.number().int().positive().optional(),
        auth: AuthorizationSchema.optional(),
      })
      .strict(),
    result: SignedDelegationSchema,
  },
  /**
   * On the owner: ends every delegation given to that device key so far; the coordinator refuses its new work. No
   * proof asked: a revocation only takes away, so the fleet can revoke a member it removes without the user.
   */
  walletRevokeDelegation: {
    args: z.object({ deviceAddress: Address }).strict(),
    result: RevokeReplySchema.pick({ status: true }),
  },
  /** On the member: this machine's device key (made on first ask), which the owner delegates to. */
  networkDeviceKey: { args: NoArgs, result: z.object({ address: Address }) },
  /** On the member: earn to the delegation's owner, with no wallet of its own. */
  networkUseDelegation: { args: z.object({ delegation: SignedDelegationSchema }).strict(), result: DelegationUseSchema },
} as const;
