// The shape `npm test` and `npm run bench` share: set up, run one command against
// throwaway services, clean up, stop what was started, exit with the command's code.
import { ensureDeps, ensurePnpm } from './bootstrap.mjs';
import { killGroup, onShutdownSignals, spawnGroup, stopGroup } from './children.mjs';
import { ensureRuntimeImage } from './image.mjs';
import { ensureServices } from './services.mjs';

/**
 * @param {object} o
 * @param {string} o.repoDir
 * @param {string} o.stateDir   its own state folder, so it never touches another run's services
 * @param {string} o.label      the child's name in messages
 * @param {(services: {env: Record<string,string>}, image: string) => {cmd: string, args: string[], env: Record<string,string>}} o.command
 * @param {(services: {env: Record<string,string>}) => Promise<void>} [o.cleanup]  runs before the services stop
 * @param {() => Promise<unknown>} [o.prepare]  more set-up (e.g. a program to install or the apps to build) before the services start
 * @param {boolean} [o.fast]      Postgres with the tests' fsync-off settings (default); false: durable, as production runs it
 * @param {number} [o.graceMs]    how long the command gets to stop on a signal before it is killed
 */
export async function runWithServices({ repoDir, stateDir, label, command, cleanup, prepare, fast = true, graceMs = 10000 }) {
  let services = null;
  let child = null;
  let settingUp = true;
  let interrupted = false;
  let finishing = false;

  async function finish(code) {
    if (finishing) return;
    finishing = true;
    if (child) await stopGroup(child, { label, graceMs });
    if (services && cleanup) await cleanup(services);
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
      if (child) killGroup(child);
      process.exit(130);
    },
  );

  try {
    await ensurePnpm();
    await ensureDeps(repoDir);
    if (prepare) await prepare();
    services = await ensureServices({ stateDir, fast });
    const image = await ensureRuntimeImage(services.env.DOCKER_HOST, repoDir);
    settingUp = false;
    if (interrupted) await finish(130);
    const { cmd, args, env } = command(services, image);
    child = spawnGroup(cmd, args, { cwd: repoDir, env: { ...process.env, ...services.env, ...env } });
    await finish(await child.exited);
  } catch (err) {
    settingUp = false;
    console.error(`[dockyard] error: ${err.message}${err.cause ? `\n  cause: ${err.cause.message}` : ''}`);
    await finish(1);
  }
}
