// Bundles the extension (extension/src/extension.ts -> dist/extension.js) with esbuild.
//   node extension/build.mjs            production bundle (minified, with a linked source map)
//   node extension/build.mjs --watch    rebuild on change
//   node extension/build.mjs --tests    unit tests (extension/test/*.test.ts -> out/test/*.test.js) for `node --test`
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  logLevel: 'warning',
  absWorkingDir: root,
};

if (args.has('--tests')) {
  const dir = path.join(root, 'extension', 'test');
  const entryPoints = fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(dir, f));
  fs.rmSync(path.join(root, 'out', 'test'), { recursive: true, force: true });
  await esbuild.build({
    ...common,
    entryPoints,
    outdir: path.join(root, 'out', 'test'),
    sourcemap: 'inline',
    external: ['vscode'], // the tests cover only modules that do not import it; a stray import fails loudly
  });
} else {
  const options = {
    ...common,
    entryPoints: [path.join(root, 'extension', 'src', 'extension.ts')],
    outfile: path.join(root, 'dist', 'extension.js'),
    external: ['vscode'],
    minify: !args.has('--watch'),
    sourcemap: args.has('--watch') ? 'inline' : false,
    metafile: true,
  };
  if (args.has('--watch')) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
    console.log('watching extension/src ...');
  } else {
    const result = await esbuild.build(options);
    const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    console.log(`dist/extension.js ${(bytes / 1024).toFixed(0)} KiB`);
  }
}
