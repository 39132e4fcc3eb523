import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { decodeFrame, FRAME_CONTENT_TYPE } from '../common/frame.js';
import { CodedError } from '../common/coded-error.js';

/** A refusal with its HTTP status and the protocol's error code. */
export class HttpError extends CodedError {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

export const MAX_BODY = 32 * 1024 * 1024;

/** The parsed body (JSON, or a frame: a submitted result's tensors as raw bytes), and how many bytes it was. */
export async function readBody(req: IncomingMessage): Promise<{ value: unknown; bytes: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const data of req) {
    const chunk = Buffer.from(data);
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'too-large', `Request bodies are limited to ${MAX_BODY} bytes.`);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (req.headers['content-type'] === FRAME_CONTENT_TYPE) {
    try {
      return { value: decodeFrame(body), bytes: size };
    } catch (error) {
      throw new HttpError(
        400,
        'bad-frame',
        `The request body is not a valid frame: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  try {
    return { value: JSON.parse(body.toString('utf8')), bytes: size };
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
