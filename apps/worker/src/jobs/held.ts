/**
 * The workspaces a job of this process holds right now: claimed, not yet released. A death the
 * events watcher hears of for one of them is the job's to handle (its release re-checks the
 * container), so the watcher needs no Postgres read to learn that a job holds it. Counted, not a
 * set: after a lease takeover two executions in one process may hold the same workspace.
 */
export interface HeldWorkspaces {
  hold(workspaceId: string): void;
  release(workspaceId: string): void;
  has(workspaceId: string): boolean;
}

export function makeHeldWorkspaces(): HeldWorkspaces {
  const counts = new Map<string, number>();
  return {
    hold(id) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    },
    release(id) {
      const n = (counts.get(id) ?? 0) - 1;
      if (n > 0) counts.set(id, n);
      else counts.delete(id);
    },
    has: (id) => counts.has(id),
  };
}
