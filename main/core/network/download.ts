/**
 * One streamed GET for a model or an input: the reply's body is read chunk by chunk, so a caller that awaits each
 * chunk's write holds the socket (TCP backpressure) and keeps no more than a chunk in memory. Node's fetch did not:
 * a 2 GB download grew the agent by 2 GB, kept after it ended. Not http.ts's coordinator client, which collects a
 * small reply whole and keeps connections: a download's connection is its own, never a kept one checked for someone else.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isPublicAddress, NotPublicError, publicLookup } from './public-address.js';

export interface DownloadOptions {
  /** Asks for the bytes from this offset on (HTTP Range), to resume a partial download. */
  from: number;
  /** Ends the request, or the body being read, with its reason. */
  signal: AbortSignal;
  /** Connects only to public addresses (public-address.ts): checked before connecting, to the address connected. */
  publicOnly: boolean;
}

/** Opens the download: resolves with the reply (body unread) or rejects, with a NotPublicError before any connection. */
export function openDownload(url: URL, o: DownloadOptions): Promise<IncomingMessage> {
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // An address in the URL is not looked up, so it is checked here.
  if (o.publicOnly && isIP(literal) !== 0 && !isPublicAddress(literal)) return Promise.reject(new NotPublicError(literal, [literal]));
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      headers: o.from > 0 ? { range: `bytes=${o.from}-` } : {},
      signal: o.signal,
      // A connection of its own (no kept socket from an earlier, differently checked download).
      agent: false,
      ...(o.publicOnly ? { lookup: publicLookup } : {}),
    });
    req.on('response', resolve);
    req.on('error', (error) => reject(o.signal.aborted ? o.signal.reason : error));
    req.end();
  });
}
