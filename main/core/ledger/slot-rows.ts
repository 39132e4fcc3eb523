import { z } from 'zod';

/** A slot as the index keeps it: its start, wei (decimal), work units, receipts and rejected receipts. */
export type SlotRow = [number, string, number, number, number];

const WEI = /^-?[0-9]{1,90}$/;
const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;
const isRow = (r: unknown): boolean =>
  Array.isArray(r) &&
  r.length === 5 &&
  Number.isInteger(r[0]) &&
  typeof r[1] === 'string' &&
  WEI.test(r[1]) &&
  typeof r[2] === 'number' &&
  Number.isFinite(r[2]) &&
  r[2] >= 0 &&
  isCount(r[3]) &&
  isCount(r[4]);

/**
 * The index's slot rows, checked by one plain loop: a year holds ~100,000 of them, and a zod tuple per row was most
 * of a restart's time (~0.6 s of ~1 s).
 */
export const SlotRowsSchema = z.custom<SlotRow[]>(
  (value) => Array.isArray(value) && value.every(isRow),
  'slot rows of [start, wei, units, receipts, rejected]',
);
