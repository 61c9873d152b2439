/**
 * The renderer is served from app://crate-lab/ (a privileged custom scheme) instead of file:// (Electron security
 * checklist item 18): a file:// page shares its origin with every local file and could read any of them through a
 * flaw; app:// has an origin of its own, and this handler serves only the built renderer folder, with no way out of it.
 *
 * The scheme is registered before the app is ready (standard + secure, so 'self' in the CSP, fetch and relative URLs
 * work as on https); the handler is a plain function of (renderer folder, request URL) so it is tested without
 * Electron (test/main/appProtocol.test.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { contentSecurityPolicy } from '../shared/csp';
import { contentTypeOf, resolveStaticPath } from '../shared/rendererFiles';

export const APP_SCHEME = 'app';
export const APP_HOST = 'crate-lab';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** What protocol.registerSchemesAsPrivileged gets: no bypassCSP, no corsEnabled beyond its own origin. */
export const APP_SCHEME_PRIVILEGES = Object.freeze({
  standard: true,
  secure: true,
  supportFetchAPI: true,
  allowServiceWorkers: false,
  bypassCSP: false,
  corsEnabled: false,
  stream: false,
});

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

/** The response to one app:// request: a file of `rendererDir`, or 404 for anything else (other hosts included). */
export async function appResponse(rendererDir: string, requestUrl: string): Promise<AppResponse> {
  const headers = { 'Content-Security-Policy': contentSecurityPolicy(false), 'X-Content-Type-Options': 'nosniff' };
  const notFound: AppResponse = { status: 404, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Not found.\n' };
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return notFound;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return notFound;
  const file = resolveStaticPath(rendererDir, url.pathname);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) return notFound;
  const body = await readFile(file);
  return { status: 200, headers: { ...headers, 'Content-Type': contentTypeOf(file) }, body };
}
