// `npm run bench`: set up like `npm test` (in its own state folder), then run bench/run.ts.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeLabelled } from './lib/engine.mjs';
import { runWithServices } from './lib/with-services.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runId = `bench${randomBytes(4).toString('hex')}`;

await runWithServices({
  repoDir,
  stateDir: path.join(repoDir, '.dockyard', 'bench'),
  label: 'bench',
  command: (_services, image) => ({
    cmd: 'pnpm',
    args: ['exec', 'tsx', 'bench/run.ts', ...process.argv.slice(2)],
    env: { DOCKYARD_TEST_IMAGE: image, DOCKYARD_TEST_RUN_ID: runId },
  }),
  cleanup: (services) => removeLabelled(services.env.DOCKER_HOST, `dockyard.test-run=${runId}`).then(() => undefined),
});
