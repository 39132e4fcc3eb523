// The test proxies in front of the real devnet coordinator (test/soak/hostile.ts, the fuzz test) pass a request on
// the same way: this is that way.
import type { IncomingMessage } from 'node:http';

/** Sends `req` on to `upstream` as it came (method, body, device token, content type) and reads the whole reply. */
export async function relay(req: IncomingMessage, upstream: string): Promise<{ status: number; ok: boolean; text: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const reply = await fetch(new URL(req.url ?? '/', upstream), {
    method: req.method ?? 'GET',
    headers: {
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      'content-type': req.headers['content-type'] ?? 'application/json',
    },
    ...(body.length ? { body } : {}),
  });
  return { status: reply.status, ok: reply.ok, text: await reply.text() };
}
