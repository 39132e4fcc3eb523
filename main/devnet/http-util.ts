import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';

/** A refusal with its HTTP status and the protocol's error code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 32 * 1024 * 1024;

/** The parsed JSON body, and how many bytes it was. */
export async function readBody(req: IncomingMessage): Promise<{ value: unknown; bytes: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'too-large', `Request bodies are limited to ${MAX_BODY} bytes.`);
    chunks.push(chunk);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')), bytes: size };
  } catch {
    throw new HttpError(400, 'bad-json', 'The request body is not JSON.');
  }
}

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new HttpError(400, 'bad-request', `Invalid request at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`);
}
