import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, HostJson, HostName, getHost, listHosts, setHostState, toHostJson, type HostState } from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../schemas.ts';

const NameParams = z.object({ name: HostName });
const NO_HOST = 'no host of this name has registered';

/**
 * The fleet's Docker hosts. Workers register their host and keep its heartbeat; operators
 * cordon a host (no new placements; its workspaces stay), drain it (its workspaces move
 * elsewhere with their config) and uncordon it. A lost host rejoins by itself.
 */
export function registerHostRoutes(fastify: FastifyInstance, deps: ApiDeps) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/v1/hosts', { schema: { tags: ['hosts'], response: { 200: z.object({ items: z.array(HostJson) }), ...errorResponses({ method: 'GET' }) } } }, async () => ({
    items: (await listHosts(deps.pool)).map(toHostJson),
  }));

  app.get(
    '/v1/hosts/:name',
    { schema: { tags: ['hosts'], params: NameParams, response: { 200: HostJson, ...errorResponses({ method: 'GET', validates: true, notFound: NO_HOST }) } } },
    async (req) => toHostJson(await mustGetHost(deps, req.params.name)),
  );

  const transitions: Array<{ verb: 'cordon' | 'uncordon' | 'drain'; from: HostState[]; to: HostState; summary: string }> = [
    { verb: 'cordon', from: ['ready', 'cordoned'], to: 'cordoned', summary: 'No new workspaces are placed on the host; those on it keep running' },
    { verb: 'uncordon', from: ['ready', 'cordoned', 'draining'], to: 'ready', summary: 'The host takes new workspaces again (stops a drain; moves under way finish)' },
    {
      verb: 'drain',
      from: ['ready', 'cordoned', 'draining'],
      to: 'draining',
      summary: 'Move every workspace off the host, DRAIN_PARALLEL at a time, with its config volume copied; the host ends cordoned',
    },
  ];
  for (const t of transitions) {
    app.post(
      `/v1/hosts/:name/${t.verb}`,
      {
        schema: {
          tags: ['hosts'],
          summary: t.summary,
          params: NameParams,
          response: { 200: HostJson, ...errorResponses({ method: 'POST', notFound: NO_HOST, conflict: `the host's state does not allow ${t.verb}` }) },
        },
      },
      async (req) => {
        const host = await mustGetHost(deps, req.params.name);
        if (!t.from.includes(host.state)) throw new ApiError('CONFLICT', `host ${host.name} is ${host.state}; ${t.verb} needs it ${t.from.join(' or ')}`);
        await setHostState(deps.pool, host.name, t.to);
        deps.log.info({ host: host.name, from: host.state, to: t.to }, `host ${t.verb}ed`);
        return toHostJson(await mustGetHost(deps, host.name));
      },
    );
  }
}

async function mustGetHost(deps: ApiDeps, name: string) {
  const host = await getHost(deps.pool, name);
  if (!host) throw new ApiError('NOT_FOUND', `host ${name} not found`);
  return host;
}
