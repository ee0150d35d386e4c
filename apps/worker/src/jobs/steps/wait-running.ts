import { TransientError } from '@dockyard/shared';
import type { Step } from '../context.ts';
import { runtimeOf } from './volume-content.ts';

const POLL_MS = 200;

/**
 * Wait until the container runs (and is healthy, if its image has a HEALTHCHECK), and read
 * from that same inspect where it is reached (published ports, network, alias: the host port
 * may differ after every start) for the job's `online` write. A container that starts and
 * exits at once is reported, not retried: the job ends `offline` and auto-restart's
 * crash-loop backoff takes over.
 */
export const waitRunning: Step<'startedAt' | 'exitedEarly' | 'exitCode' | 'endpoint'> = {
  name: 'wait-running',
  rerun: true,
  async run(ctx) {
    const deadline = Date.now() + ctx.config.timing.PROVISION_TIMEOUT_MS;
    let last = 'not inspected';
    const runtime = runtimeOf(ctx);
    while (Date.now() < deadline) {
      const state = await ctx.docker.inspectContainer(ctx.workspace.id, runtime);
      if (!state) throw new TransientError('container disappeared while waiting for it to run');
      if (state.running && (state.health === undefined || state.health === 'healthy')) {
        return { startedAt: state.startedAt, exitedEarly: false, exitCode: null, endpoint: { host: ctx.config.host.name, ...state.endpoint! } };
      }
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
