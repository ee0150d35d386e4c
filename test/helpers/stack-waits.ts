import type { Stack } from './stack.ts';
import { waitFor } from './wait.ts';

/** GET /readyz as a probe sends it: without a token. */
export function readyz(stack: Stack) {
  return stack.request('GET', '/readyz', { token: null });
}

/** Poll /readyz until it answers `status`; returns that answer. */
export function waitForReadyz(stack: Stack, status: number, timeoutMs?: number) {
  return waitFor(
    `/readyz to answer ${status}`,
    async () => {
      const res = await readyz(stack);
      return res.status === status ? res : undefined;
    },
    { timeoutMs },
  );
}

/** Poll a workspace's events until one moved it to `to` for `cause` (a string matches the whole cause). */
export async function waitForEvent(stack: Stack, workspaceId: string, { to, cause }: { to: string; cause: string | RegExp }, timeoutMs?: number) {
  const matches = (c: string) => (typeof cause === 'string' ? c === cause : cause.test(c));
  await waitFor(
    `workspace ${workspaceId} to go ${to} for ${cause}`,
    async () => (await stack.events(workspaceId)).some((e) => e.to === to && matches(e.cause)) || undefined,
    { timeoutMs },
  );
}
