import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Replies } from './replies.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Serves the built renderer's files from `rendererDir`, and nothing outside it. */
export function staticFiles(rendererDir: string, send: Replies['send']) {
  const root = normalize(rendererDir + sep);
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', 'text/plain');
    let file: string;
    try {
      file = normalize(join(root, pathname === '/' ? 'index.html' : decodeURIComponent(pathname)));
    } catch {
      return send(res, 404, 'Not found', 'text/plain'); // malformed percent-encoding
    }
    if (!file.startsWith(root)) return send(res, 404, 'Not found', 'text/plain');
    try {
      const body = await readFile(file);
      send(res, 200, req.method === 'HEAD' ? '' : body, MIME[extname(file)] ?? 'application/octet-stream');
    } catch {
      send(res, 404, 'Not found', 'text/plain');
    }
  };
}
