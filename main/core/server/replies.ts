import type { ServerResponse } from 'node:http';
import type { ErrorCode, Failure, Result } from '../../common/result.js';
import { HOST } from './door.js';

/** HTTP status per error code; codes not listed (the wallet's) are refusals of a valid request: 409. */
export const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNKNOWN_COMMAND: 404,
  VALIDATION: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  STORAGE: 500,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

const csp = (port: number): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

export interface Replies {
  send(res: ServerResponse, status: number, body: string | Buffer, type: string): void;
  /** A Result as JSON, its HTTP status from its code. */
  result(res: ServerResponse, result: Result<unknown>): void;
  /** A refused request's body is not read: closing the connection keeps a slow body from holding it open. */
  refuse(res: ServerResponse, error: Failure): void;
}

/** Every reply with the same security headers; the content policy names the port the agent listens on. */
export function replies(port: () => number): Replies {
  const send: Replies['send'] = (res, status, body, type) => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Security-Policy': csp(port()),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };
  const result: Replies['result'] = (res, result) =>
    send(res, result.ok ? 200 : (STATUS[result.error.code] ?? 409), JSON.stringify(result), 'application/json');
  return {
    send,
    result,
    refuse(res, error) {
      res.setHeader('Connection', 'close');
      result(res, { ok: false, error });
    },
  };
}
