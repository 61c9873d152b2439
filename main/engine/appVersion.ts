// The app's version for run records and the System panel. Found by walking up from this module to the package.json
// named crate-lab, because the relative path differs between source (main/engine/) and the bundle (out/main/chunks/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function appVersion(start: string = dirname(fileURLToPath(import.meta.url))): string {
  if (cached !== null && arguments.length === 0) return cached;
  let dir = start;
  let version = '0.0.0';
  for (let i = 0; i < 8; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'crate-lab' && typeof pkg.version === 'string') {
          version = pkg.version;
          break;
        }
      } catch {
        // an unreadable package.json on the way up is not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (arguments.length === 0) cached = version;
  return version;
}
