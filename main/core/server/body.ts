import type { IncomingMessage } from 'node:http';

/**
 * A request's body as text, or undefined once it passes `maxBytes`: the rest is drained unread (nothing more is
 * kept), and the caller's answer should close the connection.
 */
export const readCappedBody = (req: IncomingMessage, maxBytes: number): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
