import { z } from 'zod';
import { WalletErrorCodeSchema } from './wallet.js';

/** Every error that crosses a boundary (IPC, HTTP, WebSocket) is one of these codes plus a human sentence. */
export const ErrorCodeSchema = z.enum([
  'BAD_REQUEST', // payload failed its schema
  'UNKNOWN_COMMAND',
  'VALIDATION', // well-formed request whose values are out of range; see `fields`
  'UNAUTHORIZED', // missing or wrong token
  'FORBIDDEN', // wrong Host/Origin or untrusted IPC sender
  'NOT_FOUND',
  'STORAGE', // a file could not be read or written
  'INTERNAL',
  'UNAVAILABLE', // what the command needs is not running yet (e.g. no network connection); the message says why
  ...WalletErrorCodeSchema.options.filter((code) => code !== 'STORAGE'),
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const AgentErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** Field path ("idleOnly.minutes") → what is wrong with it. */
  fields: z.record(z.string(), z.string()).optional(),
});
export type AgentError = z.infer<typeof AgentErrorSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: AgentError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string, fields?: Record<string, string>): Result<never> => ({
  ok: false,
  error: fields ? { code, message, fields } : { code, message },
});

/** Turns zod issues into the `fields` map the UI shows next to each input. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '(root)';
    fields[key] ??= issue.message;
  }
  return fields;
}
