import { TransientError } from '@dockyard/shared';
import type { Step } from '../context.ts';
import { runtimeOf } from './volume.ts';

export const createContainer: Step = {
  name: 'create-container',
  async run(ctx) {
    const outcome = await ctx.docker.ensureContainer({ workspaceId: ctx.workspace.id, runtime: runtimeOf(ctx), env: ctx.workspace.env });
    if (outcome === 'relabelled') {
      await ctx.note(`container made anew with this installation's label (an older Dockyard made it without one)`, ctx.action.cause);
    }
  },
};

export const startContainer: Step = {
  name: 'start',
  rerun: true, // a job re-run after its worker died must not report online a container that died meanwhile
  async run(ctx) {
    await ctx.docker.startContainer(ctx.workspace.id);
  },
};

const POLL_MS = 200;

/**
 * Wait until the container runs (and is healthy, if its image has a HEALTHCHECK).
 * A container that starts and exits at once is reported, not retried: the job ends
 * `offline` and auto-restart's crash-loop backoff takes over.
 */
export const waitRunning: Step = {
  name: 'wait-running',
  rerun: true,
  async run(ctx) {
    const deadline = Date.now() + ctx.config.timing.PROVISION_TIMEOUT_MS;
    let last = 'not inspected';
    while (Date.now() < deadline) {
      const state = await ctx.docker.inspectContainer(ctx.workspace.id);
      if (!state) throw new TransientError('container disappeared while waiting for it to run');
      if (state.running && (state.health === undefined || state.health === 'healthy')) return { startedAt: state.startedAt, exitedEarly: false, exitCode: null };
      if (state.status === 'exited' || state.status === 'dead') {
        // It started and then died: a crash for the crash-loop backoff to handle, not a failed job.
        return { startedAt: state.startedAt, exitedEarly: true, exitCode: state.exitCode };
      }
      last = state.health ? `health ${state.health}` : `status ${state.status}`;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new TransientError(`container not running after ${ctx.config.timing.PROVISION_TIMEOUT_MS} ms (${last})`);
  },
};

export const stopContainer: Step = {
  name: 'stop-container',
  async run(ctx) {
    const stopped = await ctx.docker.stopContainer(ctx.workspace.id, ctx.config.stopTimeoutS);
    return { stopped };
  },
};

export const removeContainer: Step = {
  name: 'remove-container',
  async run(ctx) {
    const removed = await ctx.docker.removeContainer(ctx.workspace.id);
    return { containerRemoved: removed };
  },
};

export const purgeVolume: Step = {
  name: 'purge-volume',
  async run(ctx) {
    if (ctx.action.kind !== 'remove' || !ctx.action.purge) return { volumePurged: false };
    return { volumePurged: await ctx.docker.removeVolume(ctx.workspace.id) };
  },
};
