import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ApiError, SecretsError, patchWorkspace, toWorkspaceJson, type PatchResult } from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { IdParams, PatchWorkspaceBody, WorkspacePatched, errorResponses, refuseOversizedEnv } from '../schemas.ts';

/** RFC 7396's media type; plain application/json is accepted too. */
const MERGE_PATCH = 'application/merge-patch+json';

const errors = errorResponses({
  method: 'PATCH',
  notFound: 'no workspace with this id',
  conflict: 'the workspace is removed',
  unavailable: "or the stored env does not open with this API process's SECRETS_KEY (SECRETS_KEY_PREVIOUS)",
});

/**
 * PATCH /v1/workspaces/:id: change a workspace's env (values sealed, never answered) and name,
 * as a JSON Merge Patch; unless `restart: false` (the default when only the name changes), a
 * restart applies it. Registered in a scope of its own so only this route parses merge-patch bodies.
 */
export function registerWorkspacePatchRoute(fastify: FastifyInstance, deps: ApiDeps) {
  return fastify.register(async (scope) => {
    // the default JSON parser with the same guards (a `__proto__` or `constructor` key is refused)
    scope.addContentTypeParser(MERGE_PATCH, { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
    const app = scope.withTypeProvider<ZodTypeProvider>();
    app.patch(
      '/v1/workspaces/:id',
      {
        preValidation: refuseOversizedEnv,
        schema: {
          tags: ['workspaces'],
          description:
            'JSON Merge Patch (RFC 7396) of a workspace: `env: {"KEY": "value", "OLD": null}` sets KEY and removes OLD, `env: null` removes every variable, `name` renames. ' +
            'Env values are sealed at rest and never answered (the workspace shows `envNames`). Unless `restart` is false (its default when `env` is absent), ' +
            'a restart that applies the change is queued, merged into one already waiting: 202 with its job id; otherwise 200 with `jobId: null`.',
          consumes: ['application/json', MERGE_PATCH],
          params: IdParams,
          body: PatchWorkspaceBody,
          response: { 200: WorkspacePatched, 202: WorkspacePatched, ...errors },
        },
      },
      async (req, reply) => {
        const { name, env, restart = env !== undefined } = req.body;
        const result = await patchWorkspace(deps, req.params.id, { name, env, restart }).catch((err: unknown) => {
          if (!(err instanceof SecretsError)) throw err;
          // the stored env is under a key this process does not hold: an operator's fix, not the client's
          req.log.error({ err: err.message, workspaceId: req.params.id }, 'workspace env does not open with SECRETS_KEY or SECRETS_KEY_PREVIOUS');
          throw new ApiError('UNAVAILABLE', 'the workspace env cannot be opened with this API process\'s SECRETS_KEY; an operator must set SECRETS_KEY_PREVIOUS');
        });
        const patched = answered(result, req.params.id);
        return reply.code(patched.jobId === null ? 200 : 202).send(patched);
      },
    );
  });
}

function answered(result: PatchResult, id: string) {
  switch (result.kind) {
    case 'not-found':
      throw new ApiError('NOT_FOUND', `workspace ${id} not found`);
    case 'removed':
      throw new ApiError('CONFLICT', `workspace ${id} is removed`);
    case 'invalid':
      throw new ApiError('VALIDATION_FAILED', result.message);
    case 'patched':
      return { workspace: toWorkspaceJson(result.workspace), jobId: result.jobId };
  }
}
