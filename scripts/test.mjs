// `npm test`: install what is missing, start throwaway services, build the runtime image, run vitest.
// Extra arguments go to vitest: `npm test -- test/foo.test.ts`.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium } from './lib/browser.mjs';
import { ensurePrometheus } from './lib/prometheus.mjs';
import { removeLabelled } from './lib/engine.mjs';
import { say } from './lib/proc.mjs';
import { runWithServices } from './lib/with-services.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runId = randomBytes(6).toString('hex');

/** Remove only the Docker objects this run's tests labelled, in case a test leaked any. */
async function removeLeftovers(services) {
  try {
    const removed = await removeLabelled(services.env.DOCKER_HOST, `dockyard.test-run=${runId}`);
    if (removed.containers || removed.volumes) {
      say(`removed ${removed.containers} container(s) and ${removed.volumes} volume(s) left by test run ${runId}`);
    }
  } catch (err) {
    console.error(`[dockyard] could not remove test-run ${runId} objects: ${err.message}`);
  }
}

await runWithServices({
  repoDir,
  stateDir: path.join(repoDir, '.dockyard', 'test'),
  label: 'vitest',
  prepare: async () => {
    await ensureChromium();
    await ensurePrometheus();
  },
  command: (_services, image) => {
    say(`running vitest (test run ${runId})`);
    return {
      cmd: process.execPath,
      args: [path.join(repoDir, 'scripts', 'test-phases.mjs'), ...process.argv.slice(2)],
      env: { DOCKYARD_TEST_IMAGE: image, DOCKYARD_TEST_RUN_ID: runId },
    };
  },
  cleanup: removeLeftovers,
});
