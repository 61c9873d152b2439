/**
 * The Content-Security-Policy of the app window and of web mode (one policy, two doors).
 *
 * Production is strict: only the app's own scripts, styles and images (plus data:/blob: images for
 * reconstructions and sample grids), no inline script, no eval, no plugins, no framing, no form posts.
 * `connect-src 'self'` also covers the same-origin WebSocket of web mode (CSP Level 3).
 * Development relaxes exactly what Vite's dev server needs: its inline React-refresh preamble, injected
 * <style> tags, and the HMR WebSocket.
 */
export function contentSecurityPolicy(dev = false): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    'style-src': dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'connect-src': dev ? ["'self'", 'ws://localhost:*', 'ws://127.0.0.1:*'] : ["'self'"],
    'worker-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}
