// `npm run build`: bundle the api, the worker and the migrations into dist/ (see scripts/lib/build.mjs).
// Builds always; `npm start` builds only when the sources changed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, OUTPUTS } from './lib/build.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
try {
  await build(repoDir);
  console.log(`[dockyard] built ${OUTPUTS.map((o) => path.join(o.dist, o.file)).join(', ')} in ${Date.now() - t0} ms`);
} catch (err) {
  console.error(`[dockyard] build failed: ${err.message}`);
  process.exit(1);
}
