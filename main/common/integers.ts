import { z } from 'zod';

/** Integers beyond 2^53 (wei, work units) travel as decimal strings: no leading zeros, no sign unless negative. */
export const UintString = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'a non-negative integer as a decimal string');
export const IntString = z.string().regex(/^(0|-?[1-9][0-9]{0,77})$/, 'an integer as a decimal string');
