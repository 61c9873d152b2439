/**
 * Web-mode access control: a random token required on every HTTP and WebSocket request, and an Origin
 * allowlist for WebSockets (a page on another site must not drive the lab through the user's browser).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/** Cookies ignore ports, so each server names its own: two labs on one host must not overwrite each other's token. */
export function tokenCookieName(port: number): string {
  return `crate_lab_token_${port}`;
}
export const TOKEN_HEADER = 'x-crate-lab-token';

export function createToken(): string {
  return randomBytes(24).toString('base64url');
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      out.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // A malformed cookie from some other site on this host is ignored, not fatal.
    }
  }
  return out;
}

export type TokenSource = 'query' | 'cookie' | 'header';

/** The token a request carries, and where it was found; the query wins so a fresh link replaces a stale cookie. */
export function requestToken(req: IncomingMessage, url: URL, cookieName: string): { token: string; source: TokenSource } | null {
  const q = url.searchParams.get('token');
  if (q) return { token: q, source: 'query' };
  const h = req.headers[TOKEN_HEADER];
  if (typeof h === 'string' && h) return { token: h, source: 'header' };
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), source: 'header' };
  const c = parseCookies(req.headers.cookie).get(cookieName);
  if (c) return { token: c, source: 'cookie' };
  return null;
}

export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Origins the server's own page can have: the bound host plus the loopback names, on the bound port. */
export function allowedOrigins(host: string, port: number): Set<string> {
  const hosts = new Set([host.includes(':') && !host.startsWith('[') ? `[${host}]` : host]);
  if (isLoopbackHost(host) || isWildcardHost(host)) {
    for (const h of ['localhost', '127.0.0.1', '[::1]']) hosts.add(h);
  }
  // Bound to every interface: the page may be opened through any of this machine's addresses or its name.
  if (isWildcardHost(host)) {
    hosts.add(hostname());
    for (const h of interfaceAddresses()) hosts.add(h.includes(':') ? `[${h}]` : h);
  }
  return new Set([...hosts].map((h) => `http://${h}:${port}`));
}

/**
 * Host header values this server answers to: the names in allowedOrigins (loopback names, the bound host, and with a
 * wildcard bind this machine's addresses), with the port, and without it when the port is 80. Anything else is a
 * page that reached this port through a name of its own (DNS rebinding) and is refused even with a token.
 */
export function allowedHostHeaders(host: string, port: number): Set<string> {
  const out = new Set<string>();
  for (const o of allowedOrigins(host, port)) {
    const h = o.slice('http://'.length).toLowerCase();
    out.add(h);
    if (port === 80) out.add(h.slice(0, h.lastIndexOf(':')));
  }
  return out;
}

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** This machine's own addresses (v4 and v6, without zone ids). */
export function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined)
    .map((a) => a.address.split('%')[0]!);
}
