// `npm run bench`: start the services as `npm start` does (in .dockyard/bench, Postgres durable as
// in production; BENCH_PG_FAST=1 for the tests' fsync-off settings), build the apps as `npm start`
// does (BENCH_TSX=1, or a failed build: run the sources through tsx), build the runtime image,
// then run bench/main.ts. At the end: stop it, remove every Docker object labelled with this run,
// stop the services this run started. See docs/BENCHMARKS.md.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './lib/build.mjs';
import { removeLabelled } from './lib/engine.mjs';
import { say } from './lib/proc.mjs';
import { runWithServices } from './lib/with-services.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runId = `bench${randomBytes(4).toString('hex')}`;
const fast = process.env.BENCH_PG_FAST === '1';
let mode = 'tsx';

/** 'dist' when the compiled apps are current (built now if the sources changed), else 'tsx'. */
async function appMode() {
  if (process.env.BENCH_TSX === '1') return 'tsx';
  try {
    await ensureBuilt(repoDir, say);
    return 'dist';
  } catch (err) {
    say(`the build failed (${err.message}); running the apps' sources through tsx`);
    return 'tsx';
  }
}

/** bench/main.ts removes its objects itself; this catches what an interrupted run left. */
async function removeLeftovers(services) {
  for (const label of [`dockyard.bench-run=${runId}`, `dockyard.test-run=${runId}`]) {
    try {
      const removed = await removeLabelled(services.env.DOCKER_HOST, label);
      if (removed.containers || removed.volumes) say(`removed ${removed.containers} container(s) and ${removed.volumes} volume(s) labelled ${label}`);
    } catch (err) {
      console.error(`[dockyard] could not remove the objects labelled ${label}: ${err.message}`);
    }
  }
}

await runWithServices({
  repoDir,
  stateDir: path.join(repoDir, '.dockyard', 'bench'),
  label: 'bench',
  fast,
  graceMs: 60000,
  prepare: async () => {
    mode = await appMode();
  },
  command: (_services, image) => {
    say(`running bench/main.ts (run ${runId}, apps: ${mode})`);
    return {
      cmd: process.execPath,
      args: ['--import', 'tsx', path.join(repoDir, 'bench', 'main.ts')],
      env: {
        BENCH_RUN_ID: runId,
        BENCH_APP_MODE: mode,
        BENCH_PG_DURABILITY: fast ? 'fsync off (BENCH_PG_FAST=1)' : 'durable (fsync, synchronous_commit on)',
        DOCKYARD_BENCH_IMAGE: image,
        // for bench/fleet.ts, which uses the test suite's stack
        DOCKYARD_TEST_IMAGE: image,
        DOCKYARD_TEST_RUN_ID: runId,
      },
    };
  },
  cleanup: removeLeftovers,
});
