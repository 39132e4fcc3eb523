import { fieldOf } from './keys.js';

/**
 * What stopped a connection (a download, a call to the coordinator, the chain or a broker), in plain words: never an
 * error code such as ECONNREFUSED. An error without a code (an address refused before connecting, say) says itself.
 */
export function connectionWords(error: unknown): string {
  const code = fieldOf(error, 'code');
  if (code === 'ECONNREFUSED') return 'the server refused the connection';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'the connection was cut';
  if (code === 'ETIMEDOUT') return 'the server did not answer';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return "the server's name could not be found";
  if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH') return 'the server cannot be reached from this network';
  if (error instanceof Error && !code) return error.message;
  return 'the connection failed';
}
