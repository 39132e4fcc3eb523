import { z } from 'zod';

/** Integers beyond 2^53 (wei, work units) travel as decimal strings: no leading zeros, no sign unless negative. */
export const UintString = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'a non-negative integer as a decimal string');
export const IntString = z.string().regex(/^(0|-?[1-9][0-9]{0,77})$/, 'an integer as a decimal string');

/**
 * An amount in wei (10^-18 SYNOR, or of a chain's own coin), as every amount the agent keeps and sends travels: an
 * integer, never a decimal, so no end converts it back; it is formatted only where it is shown (money.ts).
 */
export const WeiString = z.string().regex(/^(0|-?[1-9][0-9]{0,77})$/, 'an amount in wei as a whole decimal number');
