import { rename } from 'node:fs/promises';
import { basename } from 'node:path';

/** A file set aside: renamed beside the original with the time, never deleted. Returns the new name. */
export async function setAside(file: string, tag: 'bad' | 'old', now: number): Promise<string> {
  const aside = `${file}.${tag}-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  await rename(file, aside);
  return basename(aside);
}
