import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '../../common/result.js';

/**
 * The short pairing code (docs/fleet.md has the arithmetic): 12 Crockford base32 characters, XXXX-XXXX-XXXX.
 * The first 8 are a one-time secret (40 bits) that the joining machine sends only inside a box sealed to the key it
 * reached; the last 4 (20 bits) are a check of that key under the secret, so the joining machine knows it reached the
 * machine showing the code before it sends anything. Neither half helps someone who never saw the code.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SECRET_CHARS = 8;
const CHECK_CHARS = 4;

/** 5 bits per character, from the first bits of `bytes`. */
function base32(bytes: Buffer, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    const bit = i * 5;
    const pair = ((bytes[bit >> 3] ?? 0) << 8) | (bytes[(bit >> 3) + 1] ?? 0);
    out += ALPHABET[(pair >> (11 - (bit & 7))) & 31];
  }
  return out;
}

/** The key check: who the code was made for, under its secret. */
export const keyCheck = (secret: string, hostId: string): string =>
  base32(createHmac('sha256', secret).update(`synor-fleet/1 pairing\n${hostId}`).digest(), CHECK_CHARS);

export interface PairingCode {
  code: string;
  secret: string;
}

export function newPairingCode(hostId: string): PairingCode {
  const secret = base32(randomBytes(5), SECRET_CHARS);
  const whole = secret + keyCheck(secret, hostId);
  return { code: (whole.match(/.{4}/g) ?? []).join('-'), secret };
}

/** A code as typed: case, spaces and dashes do not matter, and the letters people mistake for digits are read as them. */
export function parsePairingCode(typed: string): { secret: string; check: string } | undefined {
  const text = typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (text.length !== SECRET_CHARS + CHECK_CHARS || [...text].some((c) => !ALPHABET.includes(c))) return undefined;
  return { secret: text.slice(0, SECRET_CHARS), check: text.slice(SECRET_CHARS) };
}

export const PAIRING_TTL_MS = 5 * 60_000;
export const PAIRING_TRIES = 3;

/** The code this machine shows, while it may be used: it expires, and a few wrong secrets drop it. */
export class PairingWindow {
  private open: { secret: string; expiresAt: number; triesLeft: number } | null = null;

  constructor(private readonly now: () => number) {}

  /** A new code (the one before stops working). */
  offer(hostId: string): PairingCode & { expiresAt: number } {
    const made = newPairingCode(hostId);
    const expiresAt = this.now() + PAIRING_TTL_MS;
    this.open = { secret: made.secret, expiresAt, triesLeft: PAIRING_TRIES };
    return { ...made, expiresAt };
  }

  /** Whether a code waits now: only then may a machine that is not paired be heard at all. */
  waiting(): boolean {
    if (this.open && this.now() > this.open.expiresAt) this.open = null;
    return this.open !== null;
  }

  /** Takes a join's secret: right once (the code is then used up), or wrong, which spends one of its tries. */
  redeem(secret: string): Result<void, 'BAD_CODE' | 'NO_CODE'> {
    const open = this.waiting() ? this.open : null;
    if (!open) return fail('NO_CODE', 'No pairing code is shown on this machine now, or it expired: show a new one.');
    const given = Buffer.from(secret);
    if (given.length === open.secret.length && timingSafeEqual(given, Buffer.from(open.secret))) {
      this.open = null;
      return ok(undefined);
    }
    open.triesLeft -= 1;
    if (open.triesLeft > 0) return fail('BAD_CODE', 'The code is not right. Check it and try again.');
    this.open = null;
    return fail('BAD_CODE', 'The code is not right, and after too many wrong tries it no longer works: show a new one.');
  }
}
