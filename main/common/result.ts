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

/**
 * The one result shape: a value, or a failure with a code the caller acts on and a sentence for the user. `C` narrows
 * the codes a given operation can fail with (the API's are `ErrorCode`). Where a Result is returned, where a coded
 * error is thrown instead (`coded-error.ts`), and how a reason why something cannot run now is given (a `Failure` or
 * null): docs/ARCHITECTURE.md, "Errors".
 */
export type Failure<C extends string = ErrorCode> = { code: C; message: string; fields?: Record<string, string> | undefined };
export type Result<T, C extends string = ErrorCode> = { ok: true; value: T } | { ok: false; error: Failure<C> };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const fail = <C extends string>(code: C, message: string, fields?: Record<string, string>): { ok: false; error: Failure<C> } => ({
  ok: false,
  error: fields ? { code, message, fields } : { code, message },
});

/** What went wrong, as one line of text: an Error's message, or the thrown value itself. */
export const errorText = (error: unknown, max = 500): string =>
  String(error instanceof Error ? error.message : error)
    .split('\n')[0]
    ?.slice(0, max) ?? '';

/** What went wrong, for the log: an Error's stack, or the thrown value itself. */
export const errorDetail = (error: unknown): string => (error instanceof Error ? error.stack : undefined) ?? String(error);

/** Turns zod issues into the `fields` map the UI shows next to each input. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '(root)';
    fields[key] ??= issue.message;
  }
  return fields;
}
