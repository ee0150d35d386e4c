import type { Queryable } from './pool.ts';

export interface AttemptRecord {
  attempt: number;
  step: string | null;
  error: string;
  at: string;
}

export interface DeadLetterRow {
  id: string;
  workspace_id: string;
  job_id: string;
  job: { name: string; data: unknown; action: unknown };
  error: string;
  step: string | null;
  attempts: AttemptRecord[];
  created_at: Date;
  replayed_at: Date | null;
  replay_job_id: string | null;
}

export async function insertDeadLetter(
  q: Queryable,
  d: { id: string; workspaceId: string; jobId: string; job: DeadLetterRow['job']; error: string; step: string | null; attempts: AttemptRecord[] },
): Promise<DeadLetterRow> {
  const { rows } = await q.query<DeadLetterRow>(
    `insert into dead_letters (id, workspace_id, job_id, job, error, step, attempts)
     values ($1::uuid, $2::uuid, $3, $4::jsonb, $5, $6, $7::jsonb) returning *`,
    [d.id, d.workspaceId, d.jobId, JSON.stringify(d.job), d.error, d.step, JSON.stringify(d.attempts)],
  );
  return rows[0]!;
}

export async function getDeadLetter(q: Queryable, id: string, forUpdate = false): Promise<DeadLetterRow | undefined> {
  const { rows } = await q.query<DeadLetterRow>(
    `select * from dead_letters where id = $1::uuid${forUpdate ? ' for update' : ''}`,
    [id],
  );
  return rows[0];
}

export async function listDeadLetters(
  q: Queryable,
  p: { limit: number; after?: { createdAt: string; id: string } },
): Promise<Array<DeadLetterRow & { created_at_text: string }>> {
  const { rows } = await q.query<DeadLetterRow & { created_at_text: string }>(
    `select *, created_at::text as created_at_text from dead_letters
      where ($1::timestamptz is null or (created_at, id) < ($1::timestamptz, $2::uuid))
      order by created_at desc, id desc limit $3::int`,
    [p.after?.createdAt ?? null, p.after?.id ?? null, p.limit],
  );
  return rows;
}

export async function markDeadLetterReplayed(q: Queryable, id: string, replayJobId: string): Promise<void> {
  await q.query('update dead_letters set replayed_at = now(), replay_job_id = $2 where id = $1::uuid', [id, replayJobId]);
}

export async function countDeadLetters(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>('select count(*)::int as n from dead_letters where replayed_at is null');
  return rows[0]!.n;
}

/** Claim a dead letter for replay; false when it was already replayed (or is being). */
export async function claimDeadLetterReplay(q: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await q.query('update dead_letters set replayed_at = now() where id = $1::uuid and replayed_at is null', [id]);
  return rowCount === 1;
}

/** Undo a claim whose replay could not be requested. */
export async function releaseDeadLetterReplay(q: Queryable, id: string): Promise<void> {
  await q.query('update dead_letters set replayed_at = null where id = $1::uuid and replay_job_id is null', [id]);
}

/** One workspace's dead letters, newest first (the workspace's page shows them with a replay button). */
export async function listWorkspaceDeadLetters(q: Queryable, workspaceId: string, limit: number): Promise<DeadLetterRow[]> {
  const { rows } = await q.query<DeadLetterRow>(
    `select * from dead_letters where workspace_id = $1::uuid order by created_at desc, id desc limit $2::int`,
    [workspaceId, limit],
  );
  return rows;
}
