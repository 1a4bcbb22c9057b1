// The benchmark under Chrome's own WebGPU (Dawn, from the npm package `webgpu`) in Node: the engine's wasm build
// times the real step, as the native bench does.
//
//   node src/bin/bench_web.mjs [--sizes 512,1024,largest] [--steps 20] [--warmup 3] [--weights FILE] [--json FILE]
//                              [--dawn OPTION]... [--webgpu DIR] [--pkg DIR]
//   node src/bin/bench_web.mjs --filter-net [--apply-sizes 640x480,1280x720] [--width 16] [--filter-conv tiled]
//                              [--precision f32|f16] [--steps 20] ...
//
// --filter-net times a live filter's network instead: one forward pass per camera frame at each --apply-sizes
// (random weights of a network of --width channels; the time does not depend on them); --filter-conv direct or
// tiled forces the forward convolutions' kernels, as the native bench's option; --precision the activations' format
// (default: f16 where the adapter has shader-f16, as the page runs it).
//
// --dawn passes an option to Dawn's create() (e.g. backend=vulkan, backend=null, adapter=NAME, enable-dawn-features=X);
// `largest` is the largest size the device's limits allow. --webgpu is the unpacked `webgpu` package, --pkg the
// engine built with `wasm-pack build --target nodejs` (./build.sh bench --web does both).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

const flags = {
  sizes: { type: 'string', default: '256,512,1024,2048' },
  steps: { type: 'string' },
  warmup: { type: 'string' },
  weights: { type: 'string', default: join(repo, 'assets/vgg19/vgg19-conv-u8.safetensors') },
  json: { type: 'string' },
  dawn: { type: 'string', multiple: true, default: [] },
  webgpu: { type: 'string', default: join(repo, 'target/bench-web/webgpu/package') },
  pkg: { type: 'string', default: join(repo, 'target/bench-web/pkg') },
  'filter-net': { type: 'boolean' },
  'apply-sizes': { type: 'string', default: '640x480,1280x720' },
  width: { type: 'string', default: '16' },
  'filter-conv': { type: 'string' },
  precision: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const args = (() => {
  try {
    return parseArgs({ options: flags }).values;
  } catch (e) {
    return fail(`${e.message} (--help lists the options)`);
  }
})();

if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport')[0]);
  process.exit(0);
}

const sizes = args.sizes.split(',').map((s) => {
  const size = s.trim() === 'largest' ? 0 : Number(s);
  if (!Number.isInteger(size) || size < 0) fail(`--sizes: '${s}' is not a size in pixels or 'largest'`);
  return size;
});
const weights = (() => {
  try {
    return new Uint8Array(readFileSync(args.weights));
  } catch (e) {
    return fail(`cannot read the weights ${args.weights}: ${e.message}`);
  }
})();

const webgpu = await import(pathToFileURL(join(args.webgpu, 'index.js'))).catch((e) =>
  fail(`cannot load Dawn from ${args.webgpu} (${e.message}); ./build.sh bench --web fetches it`),
);
Object.assign(globalThis, webgpu.globals);
// wgpu looks for a window or worker global before it uses navigator.gpu
globalThis.Window ??= class Window {};

// Kernel times are rounded to 0.1 ms unless timestamp quantization is off.
const defaults = args.dawn.some((o) => o.startsWith('disable-dawn-features='))
  ? []
  : ['disable-dawn-features=timestamp_quantization'];
// The options as given, then with Vulkan named, as Dawn may pick no backend by itself.
const tries = [[...defaults, ...args.dawn]];
if (!args.dawn.some((o) => o.startsWith('backend='))) tries.push([...tries[0], 'backend=vulkan']);
let gpu, adapter, options;
for (options of tries) {
  gpu = webgpu.create(options);
  adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch((e) => {
    console.error(`Dawn with [${options.join(', ')}]: ${e.message}`);
    return null;
  });
  if (adapter) break;
  console.error(`Dawn found no adapter with options [${options.join(', ')}]`);
}
if (!adapter) {
  fail(
    'Dawn found no WebGPU adapter. It needs a Vulkan driver that it accepts:\n' +
      '  - the Vulkan loader: ldconfig -p | grep libvulkan.so.1 must list it;\n' +
      '  - the GPU\'s driver: VK_DRIVER_FILES=<its ICD json> (on the NVIDIA machine ' +
      '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json);\n' +
      '  - Dawn refuses lavapipe; SwiftShader works: VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json;\n' +
      '  - --dawn backend=null checks the chain without a GPU (its numbers mean nothing).\n' +
      'Dawn\'s own warnings above say why it refused an adapter.',
  );
}
const info = adapter.info;
const fallback = Boolean(info.isFallbackAdapter);
Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
console.error(
  `Dawn adapter: ${info.vendor} ${info.architecture} ${info.device} (${info.description})` +
    `${fallback ? ', a software adapter' : ''}; options [${options.join(', ')}]`,
);

// As the native bench: 20 timed steps after 3, or 2 after 1 on a software adapter.
const count = (given, hardware, software) => {
  const n = Number(given ?? (fallback ? software : hardware));
  if (!Number.isInteger(n) || n < 0) fail(`not a step count: ${given}`);
  return n;
};
const steps = Math.max(1, count(args.steps, 20, 2));
const warmup = count(args.warmup, 3, 1);

const engine = (() => {
  try {
    return createRequire(import.meta.url)(join(args.pkg, 'artsy.js'));
  } catch (e) {
    return fail(`cannot load the engine from ${args.pkg} (${e.message}); ./build.sh bench --web builds it`);
  }
})();
let report;
if (args['filter-net']) {
  const pairs = args['apply-sizes'].split(',').flatMap((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (!m) fail(`--apply-sizes: '${s}' is not WIDTHxHEIGHT`);
    return [Number(m[1]), Number(m[2])];
  });
  try {
    const conv = args['filter-conv'];
    if (conv !== undefined && conv !== 'direct' && conv !== 'tiled') fail(`--filter-conv: '${conv}' is not direct or tiled`);
    const tiled = conv === undefined ? undefined : conv === 'tiled';
    report = JSON.parse(
      await engine.bench_filter_apply(Uint32Array.from(pairs), Number(args.width), steps, warmup, tiled, args.precision),
    );
  } catch (e) {
    fail(`the benchmark failed: ${e?.stack ?? e}`);
  }
  report.dawn = { options, description: info.description, fallback };
  console.log(`activations in ${report.precision}`);
  console.log('| size | ms/frame | frames/s | GPU MB |');
  console.log('|---|---|---|---|');
  for (const r of report.results) {
    if (r.failed) console.log(`| ${r.width}x${r.height} | failed: ${r.failed} |`);
    else console.log(`| ${r.width}x${r.height} | ${r.ms_per_frame.toFixed(2)} | ${(1000 / r.ms_per_frame).toFixed(1)} | ` +
      `${(r.gpu_bytes / 1e6).toFixed(0)} |`);
  }
  // where a frame's GPU time goes (where Dawn has timestamp queries)
  for (const r of report.results.filter((r) => r.kernels?.length)) {
    console.log(`\n${r.width}x${r.height}, GPU ms per kernel:`);
    for (const k of r.kernels) console.log(`  ${k.kernel.padEnd(36)} ${k.ms.toFixed(3).padStart(8)} ms  (${k.dispatches} dispatches)`);
    for (const c of r.convs ?? []) {
      console.log(`  ${c.layer.padEnd(30)} ${c.kernel.padEnd(28)} ${c.ms.toFixed(3).padStart(8)} ms ${c.gflops.toFixed(0).padStart(8)} GFLOP/s`);
    }
  }
  const json = JSON.stringify(report);
  console.log(`\n${json}`);
  if (args.json) writeFileSync(args.json, json);
  process.exit(0);
}
try {
  report = JSON.parse(await engine.bench(weights, Uint32Array.from(sizes), steps, warmup));
} catch (e) {
  fail(`the benchmark failed: ${e?.stack ?? e}`);
}
report.dawn = {
  options,
  vendor: info.vendor,
  architecture: info.architecture,
  device: info.device,
  description: info.description,
  fallback,
  features: [...adapter.features].sort(),
};
report.node = process.version;

const fixed = (v, digits) => (v == null ? '-' : v.toFixed(digits));
console.log(`\nlargest size the limits allow: ${report.largest_size} px`);
console.log('| size | ms/step | steps/s | conv GFLOP/s | GPU MB | loss: total | content | style | tv |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of report.results) {
  if (r.skipped) {
    console.log(`| ${r.size} | skipped: ${r.skipped} |`);
    continue;
  }
  const l = r.losses;
  const e = (v) => v.toExponential(3);
  console.log(
    `| ${r.size} | ${fixed(r.ms_per_step, 1)} | ${fixed(r.steps_per_s, 2)} | ${fixed(r.conv_gflops, 0)} | ` +
      `${fixed(r.gpu_bytes / 1e6, 0)} | ${e(l.total)} | ${e(l.content)} | ${e(l.style)} | ${e(l.tv)} |`,
  );
}
const json = JSON.stringify(report);
console.log(`\n${json}`);
if (args.json) writeFileSync(args.json, json);
// Dawn keeps Node alive while its GPU object lives.
process.exit(0);
