import { randomBytes } from 'node:crypto';
import type { Confirmation, GuardedAction } from '../../common/wallet.js';
import { SerialQueue } from '../../common/serial.js';
import { WalletError } from './errors.js';

/** Wrong passphrases allowed before the wait starts, then 2 s, 4 s, 8 s… up to 5 minutes (reset by a right one). */
const FREE_FAILURES = 3;
const FIRST_WAIT_MS = 2000;
const MAX_WAIT_MS = 5 * 60_000;

/**
 * Every passphrase check (unlock, export, remove, change) goes through here: one scrypt at a time (24 parallel
 * unlocks used to start 24 workers, 3.6 GB), and a growing wait after repeated wrong passphrases, so a script
 * holding the local token cannot guess at scrypt speed.
 */
export class PassphraseGate {
  readonly #queue = new SerialQueue();
  #failures = 0;
  #notBefore = 0;

  constructor(private readonly now: () => number) {}

  run<T>(check: () => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      const wait = this.#notBefore - this.now();
      if (wait > 0) {
        throw new WalletError('RATE_LIMITED', `Too many wrong passphrases. Wait ${Math.ceil(wait / 1000)} s, then try again.`);
      }
      try {
        const result = await check();
        this.#failures = 0;
        return result;
      } catch (error) {
        if (error instanceof WalletError && error.code === 'WRONG_PASSPHRASE' && ++this.#failures >= FREE_FAILURES) {
          this.#notBefore = this.now() + Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (this.#failures - FREE_FAILURES));
        }
        throw error;
      }
    });
  }
}

/** How long a confirmation must wait before it counts, and how long it stays valid after that. */
export const CONFIRM_COOLDOWN_MS = 10_000;
export const CONFIRM_VALID_MS = 5 * 60_000;

const ACTION_WORDS: Record<GuardedAction, string> = {
  export: 'export your wallet',
  remove: 'remove your wallet',
  reveal: 'show your recovery phrase again',
  delegate: 'let another computer earn to your wallet',
};

/**
 * For keys the OS keeps (no passphrase to ask for): a sensitive action needs a confirmation asked for first,
 * usable only after a cool-down, once, together with the address typed back. The pending request is in the
 * wallet view, so every open window shows it (and a request the user did not make is visible before it counts).
 */
export class Confirmations {
  #pending = new Map<GuardedAction, Confirmation & { token: string }>();

  constructor(private readonly now: () => number) {}

  request(action: GuardedAction): Confirmation & { token: string } {
    const readyAt = this.now() + CONFIRM_COOLDOWN_MS;
    const confirmation = { action, token: randomBytes(16).toString('hex'), readyAt, expiresAt: readyAt + CONFIRM_VALID_MS };
    this.#pending.set(action, confirmation);
    return confirmation;
  }

  /** Uses up the confirmation for `action`, or says why it does not count (yet). */
  consume(action: GuardedAction, token: string): void {
    const pending = this.#pending.get(action);
    const now = this.now();
    if (!pending || pending.token !== token || now >= pending.expiresAt) {
      if (pending && now >= pending.expiresAt) this.#pending.delete(action);
      throw new WalletError('CONFIRMATION_REQUIRED', `To ${ACTION_WORDS[action]}, ask for a new confirmation and type your address.`);
    }
    if (now < pending.readyAt) {
      throw new WalletError('CONFIRMATION_REQUIRED', `Wait ${Math.ceil((pending.readyAt - now) / 1000)} s more, then confirm again.`);
    }
    this.#pending.delete(action);
  }

  cancel(): void {
    this.#pending.clear();
  }

  /** What the UI shows: never the token. */
  list(): Confirmation[] {
    const now = this.now();
    return [...this.#pending.values()]
      .filter((c) => now < c.expiresAt)
      .map(({ action, readyAt, expiresAt }) => ({ action, readyAt, expiresAt }));
  }
}

export const needsPassphrase = (action: GuardedAction): WalletError =>
  new WalletError('CONFIRMATION_REQUIRED', `Enter your wallet passphrase to ${ACTION_WORDS[action]}.`);
