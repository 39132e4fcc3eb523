import { randomBytes } from 'node:crypto';
import { DELEGATION_TYPES, REVOCATION_TYPES, type Delegation, type RevokeRequest, type SignedDelegation } from '../../common/delegation.js';
import { eip712Domain } from '../../common/protocol.js';
import type { TypedDataSigner } from './service-options.js';

/**
 * The owner's signatures for a fleet under one wallet (docs/protocol.md, "Delegation"): a delegation lets a member's
 * device key register devices that earn to this wallet; a revocation ends every delegation that key was given so
 * far. Both in the registration's EIP-712 domain, on the chain of the coordinator they are for.
 */
export async function signDelegation(
  owner: TypedDataSigner,
  chainId: number,
  fields: Pick<Delegation, 'delegate' | 'deviceId' | 'issuedAt' | 'expiresAt'>,
): Promise<SignedDelegation> {
  const delegation: Delegation = { owner: owner.address, ...fields, nonce: `0x${randomBytes(32).toString('hex')}` };
  return { delegation, signature: await owner.signTypedData(eip712Domain(chainId), DELEGATION_TYPES, delegation) };
}

export async function signRevocation(owner: TypedDataSigner, chainId: number, delegate: string, issuedAt: number): Promise<RevokeRequest> {
  const revocation = { owner: owner.address, delegate, issuedAt };
  return { revocation, signature: await owner.signTypedData(eip712Domain(chainId), REVOCATION_TYPES, revocation) };
}
