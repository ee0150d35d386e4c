import { afterAll, beforeAll } from 'vitest';
import { startStack, type Stack } from './stack.ts';

export type StackOptions = NonNullable<Parameters<typeof startStack>[0]>;

/** Time for a hook to start a stack (clone a database, start the API and a worker) or to close it (let jobs end, check for leaks). */
export const STACK_HOOK_TIMEOUT_MS = 120_000;

/**
 * One stack for the tests of the enclosing `describe` (or file): started in a `beforeAll`,
 * closed in an `afterAll`, which runs even when a test or a later `beforeAll` failed.
 *
 * Returns a stand-in for the stack: every property read goes to the stack `beforeAll` started,
 * so tests and the helpers beside them use it as the Stack itself; a read before then throws.
 *
 * More set-up on the stack goes in a `beforeAll` registered after this call, its tear-down in an
 * `afterAll`: vitest runs before-hooks in order and after-hooks in reverse (`sequence.hooks: 'stack'`,
 * its default), so that tear-down runs before the stack closes.
 */
export function useStack(opts: StackOptions = {}): Stack {
  let started: Stack | undefined;
  beforeAll(async () => {
    started = await startStack(opts);
  }, STACK_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await started?.close();
  }, STACK_HOOK_TIMEOUT_MS);
  return new Proxy({} as Stack, {
    get(_target, key) {
      if (!started) throw new Error(`stack.${String(key)} read before useStack's beforeAll started the stack`);
      return Reflect.get(started, key);
    },
  });
}
