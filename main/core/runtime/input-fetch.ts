/**
 * An input sent by URL, fetched by the job host itself: the bytes go from the socket straight into the buffer the
 * worker runs on, hashed on the way, so they never pass through the agent (which used to download them to disk, read
 * them back and send them on). Nothing is kept: an input belongs to one task, and a copy kept would hold memory the
 * user did not share.
 */
import { createHash } from 'node:crypto';
import { connectionWords } from '../../common/connection-words.js';
import { DOWNLOAD_LIMITS, downloadTimers, openDownload, type DownloadLimits } from '../network/download.js';
import { NotPublicError, REFUSED_SOURCE } from '../network/public-address.js';
import { isInputRef, type HostFeed, type HostInputRef, type HostTensor } from './host-protocol.js';
import { HostError } from './host-threads.js';

/** The input's bytes in a buffer from `alloc`, or a HostError ('input-unavailable') that says why not in words. */
export async function fetchInput(
  name: string,
  ref: HostInputRef,
  alloc: (bytes: number) => Uint8Array,
  limits: DownloadLimits = DOWNLOAD_LIMITS,
): Promise<HostTensor> {
  const url = new URL(ref.url);
  const refuse = (why: string): HostError => new HostError('input-unavailable', `input "${name}": ${why}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`only http(s) downloads are allowed, not ${url.protocol}`);
  const data = alloc(ref.size);
  const timers = downloadTimers(ref.size, limits);
  let at = 0;
  try {
    const res = await openDownload(url, { from: 0, signal: timers.signal, publicOnly: ref.publicOnly });
    try {
      if (res.statusCode !== 200) throw refuse(`download of ${ref.url} answered HTTP ${res.statusCode ?? 0}`);
      const announced = Number(res.headers['content-length'] ?? NaN);
      if (announced > ref.size) throw refuse(`download of ${ref.url} announces ${announced} bytes, more than the task's ${ref.size}`);
      const sum = createHash('sha256');
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a response read without an encoding gives Buffers
      for await (const chunk of res as AsyncIterable<Buffer>) {
        timers.alive();
        // Stops at the first byte past the declared size: not one more is taken.
        if (at + chunk.length > ref.size) throw refuse(`download of ${ref.url} is larger than the announced ${ref.size} bytes`);
        data.set(chunk, at);
        sum.update(chunk);
        at += chunk.length;
      }
      if (at !== ref.size) throw new Error('the connection ended early');
      const actual = sum.digest('hex');
      if (actual !== ref.sha256) throw refuse(`its bytes hash to ${actual}, the task says ${ref.sha256}`);
      return { dtype: ref.dtype, shape: ref.shape, data };
    } finally {
      res.destroy();
    }
  } catch (e) {
    if (e instanceof HostError) throw e;
    // The same words whatever the address was, and nothing it answered (it was not asked): see REFUSED_SOURCE.
    if (e instanceof NotPublicError) throw refuse(REFUSED_SOURCE);
    const why = connectionWords(timers.signal.aborted ? timers.signal.reason : e);
    throw refuse(`download of ${url.host}${url.pathname} stopped at ${at} of ${ref.size} bytes (${why})`);
  } finally {
    timers.end();
  }
}

/** A job's inputs, each one sent by URL fetched (one after another). */
export async function fetchFeeds(
  feeds: Record<string, HostFeed>,
  alloc: (bytes: number) => Uint8Array,
): Promise<Record<string, HostTensor>> {
  const ready: Record<string, HostTensor> = {};
  for (const [name, feed] of Object.entries(feeds)) ready[name] = isInputRef(feed) ? await fetchInput(name, feed, alloc) : feed;
  return ready;
}
