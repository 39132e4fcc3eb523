/**
 * The window loads the app from app://synor/, a privileged scheme served from the renderer folder, not from
 * file:// (where every local file shares one origin and the page could read any of them).
 */
import { resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CustomScheme, Protocol } from 'electron';

export const APP_SCHEME = 'app';
export const APP_URL = `${APP_SCHEME}://synor/index.html`;

/** Registered before 'ready': a standard, secure scheme so the page is a secure context with its own origin. */
export const PRIVILEGED_SCHEMES: CustomScheme[] = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
];

/** As the page's meta policy, but no WebSocket: in the desktop app the agent is reached through the preload only. */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The renderer file an app:// URL names, or null for another host or a path that climbs out of the folder. */
export function appFile(url: string, rendererDir: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== 'synor') return null;
    const path = decodeURIComponent(parsed.pathname);
    const file = resolve(rendererDir, `.${path === '/' ? '/index.html' : path}`);
    return file.startsWith(resolve(rendererDir) + sep) ? file : null;
  } catch {
    return null; // a malformed URL or escape
  }
}

/** `readFile` is Electron's net.fetch on a file:// URL in the app; a reader of the same files in tests. */
export function serveApp(protocol: Pick<Protocol, 'handle'>, rendererDir: string, readFile: (fileUrl: string) => Promise<Response>): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = appFile(request.url, rendererDir);
    const found = file ? await readFile(pathToFileURL(file).href).catch(() => null) : null;
    if (!found || !found.ok) return new Response('Not found', { status: 404 });
    const headers = new Headers(found.headers);
    headers.set('Content-Security-Policy', APP_CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(found.body, { status: 200, headers });
  });
}
