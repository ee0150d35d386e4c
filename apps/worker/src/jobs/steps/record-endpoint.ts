import { TransientError } from '@dockyard/shared';
import type { Step } from '../context.ts';
import { runtimeOf } from './volume-content.ts';

/**
 * Read where the started container is reached (published ports, network, alias) from the
 * engine, for the job's `online` write: the host port may differ after every start.
 */
export const recordEndpoint: Step<'endpoint'> = {
  name: 'record-endpoint',
  rerun: true,
  async run(ctx, state) {
    if (state.exitedEarly) return {};
    const endpoint = await ctx.docker.readEndpoint(ctx.workspace.id, runtimeOf(ctx));
    if (!endpoint) throw new TransientError('container disappeared before its endpoint could be read');
    return { endpoint: { host: ctx.config.host.name, ...endpoint } };
  },
};
