import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic.js';
import { setAside } from '../fs/set-aside.js';
import { errnoCode } from '../../common/errno.js';
import { fieldOf } from '../../common/keys.js';

/**
 * The fleet's small kept files (identity, peers): one JSON document with a checksum of its content beside it, written
 * whole or not at all and readable by this user only. A file that is damaged (or edited by hand) is set aside, never
 * trusted and never deleted.
 */
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A fleet file is a few KB per machine: one far larger is not ours, and is not read whole. */
const MAX_BYTES = 4 * 1024 * 1024;

export type KeptRead<T> = { status: 'missing' } | { status: 'ok'; value: T } | { status: 'set-aside'; as: string };

export async function writeKept(file: string, value: unknown): Promise<void> {
  const data = JSON.stringify(value);
  await writeFileAtomic(file, `${JSON.stringify({ sha256: sha256(data), data })}\n`);
}

/** The document in `file` parsed with `schema`, or missing, or set aside because it was not one. */
export async function readKept<T>(file: string, schema: z.ZodType<T>, now: number): Promise<KeptRead<T>> {
  let text: string;
  try {
    // lstat first: reading a fifo would wait forever, and a link may point anywhere.
    const found = await lstat(file);
    text = found.isFile() && found.size <= MAX_BYTES ? await readFile(file, 'utf8') : '';
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { status: 'missing' };
    throw error;
  }
  const value = parse(text, schema);
  return value === undefined ? { status: 'set-aside', as: await setAside(file, 'bad', now) } : { status: 'ok', value };
}

function parse<T>(text: string, schema: z.ZodType<T>): T | undefined {
  try {
    const outer: unknown = JSON.parse(text);
    const data = fieldOf(outer, 'data');
    if (typeof data !== 'string' || fieldOf(outer, 'sha256') !== sha256(data)) return undefined;
    const parsed = schema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
