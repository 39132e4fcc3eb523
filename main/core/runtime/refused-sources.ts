/** The model cache's memory of sources that proved bad (a wrong hash, a body past its size), kept across restarts. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { errorText } from '../../common/result.js';
import { SerialQueue } from '../../common/serial.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { setAside } from '../fs/set-aside.js';
import type { Clock, Logger } from '../ports.js';

export const SHA = /^[0-9a-f]{64}$/;
/** A hash that did not match (or a body past its declared size) is not fetched again for this long: not once per task. */
export const REFUSED_MS = 10 * 60_000;
/** At most this many refused hashes are remembered (the newest): a coordinator naming new ones cannot grow it. */
const REFUSED_MAX = 256;
/** `refused.json` in the cache folder: the refusals outlive a restart, which would otherwise fetch each bad source again. */
const RefusedFileSchema = z
  .object({
    version: z.literal(1),
    refused: z
      .array(z.object({ sha256: z.string().regex(SHA), message: z.string().max(4096), until: z.number().int() }).strict())
      .max(REFUSED_MAX),
  })
  .strict();

export class RefusedSources {
  /** sha256 → why its last download was refused and until when (clock ms) that answer stands; oldest first. */
  private readonly refused = new Map<string, { message: string; until: number }>();
  private read: Promise<void> | null = null;
  private readonly writes = new SerialQueue();

  constructor(
    private readonly file: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Why this hash's source was refused, while that answer stands. */
  async find(sha256: string): Promise<string | undefined> {
    await (this.read ??= this.load());
    const refused = this.refused.get(sha256);
    return refused && this.clock.now() < refused.until ? refused.message : undefined;
  }

  /** Remembers a refused source for REFUSED_MS, on disk too; a disk that refuses the file leaves it in memory. */
  add(sha256: string, message: string): Promise<void> {
    const now = this.clock.now();
    this.refused.delete(sha256); // re-inserted last: the map's order is the age
    this.refused.set(sha256, { message: message.slice(0, 4096), until: now + REFUSED_MS });
    for (const [sha, { until }] of this.refused) if (until <= now || this.refused.size > REFUSED_MAX) this.refused.delete(sha);
    const refused = [...this.refused].map(([sha, r]) => ({ sha256: sha, ...r }));
    return this.writes
      .run(() => writeFileAtomic(this.file, JSON.stringify({ version: 1, refused } satisfies z.infer<typeof RefusedFileSchema>)))
      .catch((error: unknown) =>
        this.logger.warn(`model cache: the refused sources could not be saved (${errorText(error)}); they are kept until the app stops`),
      );
  }

  /** The refusals a run before this one saved; a file that cannot be read is set aside (they are only a shortcut). */
  private async load(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT')
        this.logger.warn(
          `model cache: ${this.file} cannot be read (${error.code}); sources refused before the start may be tried once more`,
        );
      return null;
    });
    if (text === null) return;
    let parsed: z.infer<typeof RefusedFileSchema> | undefined;
    try {
      parsed = RefusedFileSchema.parse(JSON.parse(text));
    } catch (error) {
      const aside = await setAside(this.file, 'bad', this.clock.now()).catch(() => 'nowhere: it could not be renamed');
      const why = error instanceof z.ZodError ? `${error.issues[0]?.path.join('.')}: ${error.issues[0]?.message}` : errorText(error);
      this.logger.warn(
        `model cache: ${this.file} is damaged (${why}); kept as ${aside}, sources refused before the start may be tried once more`,
      );
      return;
    }
    const now = this.clock.now();
    for (const { sha256, message, until } of parsed.refused) if (until > now) this.refused.set(sha256, { message, until });
  }
}
