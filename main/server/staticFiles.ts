/** Serves the built renderer (out/renderer) read-only, with no way out of its folder. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { contentTypeOf, resolveStaticPath } from '../shared/rendererFiles';

export async function serveStatic(
  root: string,
  pathname: string,
  res: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  const file = resolveStaticPath(root, pathname);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not found.\n');
    return;
  }
  const type = contentTypeOf(file);
  // Hashed assets may be cached; the page itself must not be, so a rebuilt renderer shows at once.
  const cache = file.endsWith('.html') ? 'no-store' : 'private, max-age=3600';
  res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(info.size), 'Cache-Control': cache });
  createReadStream(file).pipe(res);
}
