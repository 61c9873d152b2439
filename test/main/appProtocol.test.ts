// The app:// handler serves the built renderer folder and nothing else: not a file outside it (however the path is
// spelled), not another host; every response carries the strict CSP.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_SCHEME_PRIVILEGES, APP_URL, appResponse } from '../../main/shell/appProtocol';
import { contentSecurityPolicy } from '../../main/shared/csp';

const base = mkdtempSync(join(tmpdir(), 'crate-appproto-'));
const renderer = join(base, 'renderer');
mkdirSync(join(renderer, 'assets'), { recursive: true });
writeFileSync(join(renderer, 'index.html'), '<!doctype html><div id="root"></div>');
writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(base, 'secret.txt'), 'outside');
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('app:// protocol', () => {
  it('serves the page and its assets with their types and the CSP', async () => {
    const page = await appResponse(renderer, APP_URL);
    expect(page.status).toBe(200);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers['Content-Security-Policy']).toBe(contentSecurityPolicy(false));
    expect(Buffer.from(page.body as Uint8Array).toString()).toContain('id="root"');
    const js = await appResponse(renderer, 'app://crate-lab/assets/app.js?v=1');
    expect(js).toMatchObject({ status: 200, headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
    expect((await appResponse(renderer, 'app://crate-lab/')).status).toBe(200); // '/' is index.html
  });

  it('serves nothing outside the renderer folder, nor for another host or scheme', async () => {
    for (const url of [
      'app://crate-lab/../secret.txt',
      'app://crate-lab/%2e%2e/secret.txt',
      'app://crate-lab/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://crate-lab/..%5csecret.txt',
      'app://crate-lab/%00index.html',
      'app://elsewhere/index.html',
      'file:///etc/passwd',
      'app://crate-lab/missing.js',
      'not a url',
    ]) {
      const r = await appResponse(renderer, url);
      expect(r.status, url).toBe(404);
      expect(String(r.body)).not.toContain('outside');
    }
  });

  it('is a standard, secure scheme that does not bypass the CSP', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true, bypassCSP: false, allowServiceWorkers: false });
  });
});
