// `npm test`: install what is missing, start throwaway services, build the runtime image, run vitest.
// Extra arguments go to vitest: `npm test -- test/foo.test.ts`.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDeps, ensurePnpm } from './lib/bootstrap.mjs';
import { killGroup, onShutdownSignals, spawnGroup, stopGroup } from './lib/children.mjs';
import { removeLabelled } from './lib/engine.mjs';
import { ensureRuntimeImage } from './lib/image.mjs';
import { say } from './lib/proc.mjs';
import { ensureServices } from './lib/services.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runId = randomBytes(6).toString('hex');
let services = null;
let vitest = null;
let settingUp = true;
let interrupted = false;
let finishing = false;

async function removeLeftovers() {
  if (!services) return;
  try {
    const removed = await removeLabelled(services.env.DOCKER_HOST, `dockyard.test-run=${runId}`);
    if (removed.containers || removed.volumes) {
      say(`removed ${removed.containers} container(s) and ${removed.volumes} volume(s) left by test run ${runId}`);
    }
  } catch (err) {
    console.error(`[dockyard] could not remove test-run ${runId} objects: ${err.message}`);
  }
}

async function finish(code) {
  if (finishing) return;
  finishing = true;
  if (vitest) await stopGroup(vitest, { label: 'vitest', graceMs: 10000 });
  await removeLeftovers();
  if (services) await services.stop();
  process.exit(code);
}

onShutdownSignals(
  () => {
    // During set-up, let the current step finish so that whatever it started is known and stopped.
    if (settingUp) interrupted = true;
    else void finish(130);
  },
  () => {
    if (vitest) killGroup(vitest);
    process.exit(130);
  },
);

try {
  await ensurePnpm();
  await ensureDeps(repoDir);
  services = await ensureServices({ stateDir: path.join(repoDir, '.dockyard', 'test'), fast: true });
  const image = await ensureRuntimeImage(services.env.DOCKER_HOST, repoDir);
  settingUp = false;
  if (interrupted) await finish(130);
  say(`running vitest (test run ${runId})`);
  vitest = spawnGroup('pnpm', ['exec', 'vitest', 'run', ...process.argv.slice(2)], {
    cwd: repoDir,
    env: { ...process.env, ...services.env, DOCKYARD_TEST_IMAGE: image, DOCKYARD_TEST_RUN_ID: runId },
  });
  const code = await vitest.exited;
  await finish(code);
} catch (err) {
  settingUp = false;
  console.error(`[dockyard] error: ${err.message}${err.cause ? `\n  cause: ${err.cause.message}` : ''}`);
  await finish(1);
}
