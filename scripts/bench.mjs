// `npm run bench`: set up like `npm test`, then run bench/run.ts when it exists.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDeps, ensurePnpm } from './lib/bootstrap.mjs';
import { killGroup, onShutdownSignals, spawnGroup, stopGroup } from './lib/children.mjs';
import { ensureRuntimeImage } from './lib/image.mjs';
import { say } from './lib/proc.mjs';
import { ensureServices } from './lib/services.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(repoDir, 'bench', 'run.ts');
let services = null;
let bench = null;
let settingUp = true;
let interrupted = false;
let finishing = false;

async function finish(code) {
  if (finishing) return;
  finishing = true;
  if (bench) await stopGroup(bench, { label: 'bench', graceMs: 10000 });
  if (services) await services.stop();
  process.exit(code);
}

onShutdownSignals(
  () => {
    if (settingUp) interrupted = true;
    else void finish(130);
  },
  () => {
    if (bench) killGroup(bench);
    process.exit(130);
  },
);

try {
  await ensurePnpm();
  await ensureDeps(repoDir);
  if (!existsSync(entry)) {
    say('no benchmarks yet');
    process.exit(0);
  }
  // Their own throwaway state folder: never touches a running `npm start` or `npm test`.
  services = await ensureServices({ stateDir: path.join(repoDir, '.dockyard', 'bench'), fast: true });
  const image = await ensureRuntimeImage(services.env.DOCKER_HOST, repoDir);
  settingUp = false;
  if (interrupted) await finish(130);
  bench = spawnGroup('pnpm', ['exec', 'tsx', 'bench/run.ts', ...process.argv.slice(2)], {
    cwd: repoDir,
    env: { ...process.env, ...services.env, DOCKYARD_TEST_IMAGE: image },
  });
  await finish(await bench.exited);
} catch (err) {
  settingUp = false;
  console.error(`[dockyard] error: ${err.message}${err.cause ? `\n  cause: ${err.cause.message}` : ''}`);
  await finish(1);
}
