import type { Failure, Result } from './result.js';

/**
 * The one base of the errors that are thrown with a code (docs/ARCHITECTURE.md, "Errors"): I/O and protocol
 * failures deep inside an async flow. Each is turned into a `Failure` once, where the flow meets its caller, by
 * `failureOf`.
 */
export class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
  }
}

/** A subclass of CodedError, as a value (`[NetworkError, WalletError]`). */
export type CodedErrorClass = abstract new (...args: never[]) => CodedError;
/** The codes the listed subclasses throw. */
export type CodesOf<K extends readonly CodedErrorClass[]> = InstanceType<K[number]>['code'];

const isOneOf = <K extends readonly CodedErrorClass[]>(error: unknown, kinds: K): error is InstanceType<K[number]> =>
  kinds.some((kind) => error instanceof kind);

/**
 * The one place a thrown value becomes a Failure. A coded error of one of `kinds` keeps its code and sentence;
 * anything else (a bug, or a coded error the caller's codes do not cover) is `otherwise`'s to word, since its message
 * may quote library internals.
 */
export function failureOf<K extends readonly CodedErrorClass[], F extends string>(
  error: unknown,
  kinds: K,
  otherwise: (error: unknown) => Failure<F>,
): Failure<CodesOf<K> | F> {
  return isOneOf(error, kinds) ? { code: error.code, message: error.message } : otherwise(error);
}

/** `work`'s value, or what it threw as a Failure (`failureOf`): for command handlers, which never throw. */
export async function resultOf<T, K extends readonly CodedErrorClass[], F extends string>(
  work: Promise<T>,
  kinds: K,
  otherwise: (error: unknown) => Failure<F>,
): Promise<Result<T, CodesOf<K> | F>> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, error: failureOf(error, kinds, otherwise) };
  }
}
