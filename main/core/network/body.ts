/**
 * The chunks of a fetch body, ended by `signal` the moment it aborts (with its reason). Node's fetch can leave a body
 * read pending forever when its request is aborted mid-body (nodejs/node#56917: seen here as a dripping download
 * that outlived its deadline), so the abort is raced against every read instead of trusted to reach the stream.
 */
export async function* bodyChunks(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let abort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => (abort = () => reject(signal.reason)));
  aborted.catch(() => undefined);
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) return;
      yield value;
    }
  } finally {
    signal.removeEventListener('abort', abort);
    // Not awaited: on the broken path the cancel can stay pending like the read it ends.
    reader.cancel().catch(() => undefined);
  }
}
