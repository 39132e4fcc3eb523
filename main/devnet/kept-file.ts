/**
 * The devnet's JSON state files as they survive damage on disk: a damaged file is set aside (never deleted) and, for
 * a file written with its previous version kept, that version is read instead, one change behind.
 */
import { link, readFile, rm } from 'node:fs/promises';
import type { z } from 'zod';
import { errnoCode } from '../common/errno.js';
import { writeFileAtomic } from '../core/fs/atomic.js';
import { setAside } from '../core/fs/set-aside.js';

const previous = (file: string): string => `${file}.prev`;

/**
 * Replaces `file` atomically, keeping the version it replaces as `<file>.prev` (a hard link: nothing is copied). Two
 * steps: a caller saves one at a time (registry.ts), or two saves could find each other's link there.
 */
export async function writeKeepingPrevious(file: string, text: string): Promise<void> {
  await rm(previous(file), { force: true });
  await link(file, previous(file)).catch((error: unknown) => {
    if (errnoCode(error) !== 'ENOENT') throw error;
  });
  await writeFileAtomic(file, text);
}

/** A missing file reads as null; one that is not valid JSON of `schema` throws. */
async function readValid<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  });
  return text === null ? null : schema.parse(JSON.parse(text));
}

export type KeptRead<T> =
  | { value: T | null; damaged: null }
  /** `keptAs`: the damaged file's new name; `value`: its previous version, null when there is none that reads. */
  | { value: T | null; damaged: { keptAs: string } };

/** `file` read and checked: missing is null; damaged is set aside, then its previous version is read if it has one. */
export async function readKept<T>(file: string, schema: z.ZodType<T>, now: number): Promise<KeptRead<T>> {
  try {
    return { value: await readValid(file, schema), damaged: null };
  } catch (error) {
    if (errnoCode(error) !== undefined) throw error; // the disk refused: not damage, and nothing to set aside
    const keptAs = await setAside(file, 'bad', now);
    const earlier = await readValid(previous(file), schema).catch(() => null);
    return { value: earlier, damaged: { keptAs } };
  }
}
