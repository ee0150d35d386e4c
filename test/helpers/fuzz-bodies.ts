import fc from 'fast-check';
import { anyJson, nastyString, type Pools } from './fuzz-requests.ts';

/** Near-valid bodies per route, mixing accepted values with wrong types. */
export const bodies = (pools: Pools) => {
  const id = fc.oneof(fc.constantFrom(...pools.workspaceIds), fc.uuid(), nastyString());
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: a }, { weight: 1, arbitrary: anyJson() });
  const env = fc.dictionary(fc.oneof(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/), nastyString()), maybe(nastyString()), { maxKeys: 6 });
  // what the route accepts, so the fuzz also reaches past validation (unicode names, odd env values)
  const text = (max: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }).filter((t) => !t.includes('\u0000') && t.trim().length > 0);
  const validEnv = fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/), fc.string({ maxLength: 40 }).map((t) => t.replace(/\u0000/g, '')), { maxKeys: 4 });
  const or = <T>(valid: fc.Arbitrary<T>, near: fc.Arbitrary<T>) => fc.oneof({ weight: 1, arbitrary: valid }, { weight: 2, arbitrary: near });
  return {
    create: or<unknown>(
      fc.record({ name: text(40), runtime: fc.constantFrom(...pools.runtimes), env: validEnv }, { requiredKeys: ['name', 'runtime'] }),
      fc.record({ name: maybe(nastyString()), runtime: maybe(fc.constantFrom(...pools.runtimes, 'nope', '')), env: maybe(env) }, { requiredKeys: [] }),
    ),
    // JSON Merge Patch: a value sets, null removes
    patch: or<unknown>(
      fc.record({ name: text(40), env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/), fc.option(fc.string({ maxLength: 40 }).map((t) => t.replace(/\u0000/g, '')), { nil: null }), { maxKeys: 4 }), restart: fc.boolean() }, { requiredKeys: [] }),
      fc.record({ name: maybe(nastyString()), env: maybe(fc.oneof(env, fc.constant(null))), restart: maybe(fc.boolean()) }, { requiredKeys: [] }),
    ),
    restart: or<unknown>(
      fc.record({ applyTemplate: fc.boolean(), reason: text(100) }, { requiredKeys: [] }),
      fc.record({ applyTemplate: maybe(fc.boolean()), reason: maybe(nastyString()) }, { requiredKeys: [] }),
    ),
    event: or<unknown>(
      fc.record({ type: fc.constantFrom('container.died', 'liveness.lost'), workspaceId: fc.constantFrom(...pools.workspaceIds), detail: text(100) }, { requiredKeys: ['type', 'workspaceId'] }),
      fc.record(
      { type: maybe(fc.constantFrom('container.died', 'liveness.lost', 'container.start')), workspaceId: maybe(id), at: maybe(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), detail: maybe(nastyString()) },
      { requiredKeys: [] },
    )),
    bulkRestart: fc.record(
      { runtime: maybe(fc.constantFrom(...pools.runtimes, 'nope')), status: maybe(fc.constantFrom('online', 'failed', 'offline', 'removed', 'bogus')), ids: maybe(fc.array(id, { maxLength: 4 })) },
      { requiredKeys: [] },
    ),
    adopt: fc.record({ dockerIds: maybe(fc.array(fc.oneof(fc.stringMatching(/^[0-9a-f]{12,64}$/), nastyString()), { maxLength: 4 })) }, { requiredKeys: [] }),
  };
};
