import { getAddress, getBytes, TypedDataEncoder } from 'ethers';
import { createKeccak } from 'hash-wasm';
import { fieldOf } from '../../common/keys.js';
import { eip712Domain, EPOCH_TYPES, type Epoch, type TypedDataTypes } from '../../common/protocol.js';

/**
 * The EIP-712 digest a coordinator signs for an epoch, as ethers' `TypedDataEncoder.hash` computes it, at a fraction of
 * its cost (it parses the types and hashes the domain again for every value, and encodes through hex strings): a first
 * check of a week of ledger lines computes 10,080 of them. The types' own hashes and each chain's domain hash are
 * computed once, by ethers. Throws for a value ethers would refuse (a bad address, a number out of its range). Keccak is
 * hash-wasm's (WebAssembly): ethers' pure JavaScript one was most of a first check's time on the agent's own thread
 * (~10 µs a hash, four hashes an epoch).
 */

type Word = Uint8Array;
type Encode = (value: unknown) => Word;
type Keccak = (data: Uint8Array) => Word;
/** The 32 bytes an epoch's signature signs on chain `chainId`. */
export type EpochDigest = (epoch: Epoch, chainId: number) => Word;

const BYTES32 = /^0x[0-9a-f]{64}$/i;

/** `value` as a string, for a field of type `type` (ethers refuses another type too). */
function text(value: unknown, type: string): string {
  if (typeof value !== 'string') throw new RangeError(`${type} of another type`);
  return value;
}

/** `value` as a struct of type `type`, for its fields to be read. */
function struct(value: unknown, type: string): object {
  if (typeof value !== 'object' || value === null) throw new RangeError(`${type} of another type`);
  return value;
}

/**
 * `encode` remembering its answers: strings and addresses repeat from epoch to epoch (a device id, an owner, four
 * resource names), and each costs a keccak (an address: for its checksum). Bounded, as values are a file's.
 */
function remembered(encode: Encode): Encode {
  const known = new Map<unknown, Word>();
  return (value) => {
    let word = known.get(value);
    if (word) return word;
    if (known.size >= 64) known.clear();
    known.set(value, (word = encode(value)));
    return word;
  };
}

function uintWord(bits: number): Encode {
  const limit = 1n << BigInt(bits);
  return (value) => {
    if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'bigint')
      throw new RangeError(`uint${bits} of another type`);
    const n = BigInt(value);
    if (n < 0n || n >= limit) throw new RangeError(`value out of range for uint${bits}`);
    return Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
  };
}

function fieldEncoder(types: TypedDataTypes, type: string, keccak: Keccak): Encode {
  if (type === 'string') return remembered((value) => keccak(Buffer.from(text(value, type), 'utf8')));
  if (type === 'address') return remembered((value) => getBytes(`0x${getAddress(text(value, type)).slice(2).padStart(64, '0')}`));
  if (type === 'bytes32') {
    return (value) => {
      if (typeof value !== 'string' || !BYTES32.test(value)) throw new RangeError('bytes32 of another length or not hex');
      return Buffer.from(value.slice(2), 'hex');
    };
  }
  const uint = /^uint(\d+)$/.exec(type);
  if (uint) return uintWord(Number(uint[1]));
  const [, itemType = ''] = /^(\w+)\[\]$/.exec(type) ?? [];
  if (types[itemType]) {
    const item = structHasher(types, itemType, keccak);
    return (value) => {
      if (!Array.isArray(value)) throw new RangeError(`${type} of another type`);
      return keccak(Buffer.concat(value.map((entry: unknown) => item(struct(entry, itemType)))));
    };
  }
  throw new Error(`epoch digest: type ${type} is not supported`);
}

/** hashStruct of EIP-712 for values of type `name`. */
function structHasher(types: TypedDataTypes, name: string, keccak: Keccak): (value: object) => Word {
  const typeHash = keccak(Buffer.from(TypedDataEncoder.from(types).encodeType(name), 'utf8'));
  const declared = types[name];
  if (!declared) throw new Error(`epoch digest: type ${name} is not declared`);
  const fields = declared.map((f) => ({ name: f.name, encode: fieldEncoder(types, f.type, keccak) }));
  return (value) => keccak(Buffer.concat([typeHash, ...fields.map((f) => f.encode(fieldOf(value, f.name)))]));
}

const PREFIX = Uint8Array.of(0x19, 0x01);

function digester(keccak: Keccak): EpochDigest {
  const hashEpoch = structHasher(EPOCH_TYPES, 'Epoch', keccak);
  const domains = new Map<number, Word>();
  return (epoch, chainId) => {
    let domain = domains.get(chainId);
    if (!domain) domains.set(chainId, (domain = getBytes(TypedDataEncoder.hashDomain(eip712Domain(chainId)))));
    return keccak(Buffer.concat([PREFIX, domain, hashEpoch(epoch)]));
  };
}

let made: Promise<EpochDigest> | null = null;
/** The digest function, once its keccak (WebAssembly, compiled once for the process) is ready. */
export function epochDigester(): Promise<EpochDigest> {
  made ??= createKeccak(256).then((hasher) => digester((data) => hasher.init().update(data).digest('binary')));
  return made;
}
