import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adoptUnlabelled, getInstallationId, listUnlabelled, type UnlabelledObjectRow } from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { errorResponses, optionalBody } from '../schemas.ts';

const UnlabelledObject = z
  .object({
    dockerId: z.string(),
    kind: z.string(),
    name: z.string(),
    workspaceId: z.string().nullable(),
    firstSeenAt: z.string(),
    adoptedAt: z.string().nullable(),
    adoptedBy: z.string().nullable(),
  })
  .meta({ id: 'UnlabelledObject' });

const Installation = z.object({ id: z.uuid(), label: z.string(), unlabelled: z.array(UnlabelledObject) }).meta({ id: 'Installation' });

const AdoptBody = optionalBody(
  z.strictObject({
    dockerIds: z.array(z.string().regex(/^[0-9a-f]{12,64}$/, 'a Docker object id (hex)')).min(1).max(1_000).optional(),
  }),
);

const toJson = (o: UnlabelledObjectRow) => ({
  dockerId: o.docker_id,
  kind: o.kind,
  name: o.name,
  workspaceId: o.workspace_id,
  firstSeenAt: o.first_seen_at.toISOString(),
  adoptedAt: o.adopted_at?.toISOString() ?? null,
  adoptedBy: o.adopted_by,
});

/**
 * This installation's identity, and the managed Docker objects without an installation
 * label that its reconciler reported. Adopting one lets the reconciler treat it as its own
 * (an orphan, if it has no workspace here); the reconciler, not the API, acts on Docker.
 */
export function registerInstallationRoutes(fastify: FastifyInstance, deps: ApiDeps) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/installation',
    { schema: { tags: ['installation'], response: { 200: Installation, ...errorResponses({ method: 'GET' }) } } },
    async () => {
      const [id, unlabelled] = await Promise.all([getInstallationId(deps.pool), listUnlabelled(deps.pool)]);
      return { id, label: `dockyard.installation=${id}`, unlabelled: unlabelled.map(toJson) };
    },
  );

  app.post(
    '/v1/installation/adopt',
    {
      schema: {
        tags: ['installation'],
        body: AdoptBody,
        response: { 202: z.object({ adopted: z.array(UnlabelledObject) }), ...errorResponses({ method: 'POST' }) },
      },
    },
    async (req, reply) => {
      const adopted = await adoptUnlabelled(deps.pool, 'api', req.body.dockerIds);
      for (const o of adopted) {
        deps.log.warn({ container: o.name, dockerId: o.docker_id, workspaceId: o.workspace_id, by: o.adopted_by }, 'adopted unlabelled managed container');
      }
      return reply.code(202).send({ adopted: adopted.map(toJson) });
    },
  );
}
