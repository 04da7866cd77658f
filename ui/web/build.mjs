// Builds the app into ../assets/dist, deterministically: the same sources
// give the same bytes (make ui-check compares them with what is committed).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'assets', 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = {
  bundle: true, minify: true, format: 'esm', target: 'es2022', legalComments: 'none',
  sourcemap: false, charset: 'utf8', logLevel: 'warning', absWorkingDir: here,
};
await build({ ...common, entryPoints: ['src/main.ts'], outfile: join(out, 'app.js') });
await build({ ...common, format: 'iife', entryPoints: ['src/layout.worker.ts'], outfile: join(out, 'layout.js') });
await build({ ...common, entryPoints: ['src/app.css'], outfile: join(out, 'app.css') });
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
