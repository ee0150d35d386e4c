// Where a burst's wall-clock time goes between Docker's calls, from BullMQ's own record of each
// job (added, taken, finished: Redis's clock) and its log lines (each step's start and end): how
// long the API took to queue the burst, how much of the slots' time the jobs filled, the job's
// time outside its steps (before the first, between them, after the last) and a freed slot's
// wait for its next job (the k-th job taken pairs with the (k − width)-th finished).
import { Queue } from 'bullmq';
import { queueNameOf, queuePrefixOf } from '@dockyard/shared';
import type { Bench } from './stack.ts';
import { meanOf } from './targets.ts';

const STEP_LINE = /\((\d{4}-\d\d-\d\dT[\d:.]+Z) → (\d{4}-\d\d-\d\dT[\d:.]+Z)\)/;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** One line on the burst's jobs, `start` and `end` in ms (Postgres's clock, the same machine's). */
export async function jobTimeline(bench: Bench, jobIds: string[], width: number, start: number, end: number): Promise<string> {
  const { rows } = await bench.pool.query<{ host: string }>('select distinct host from workspaces where host is not null');
  const name = queueNameOf('restart', rows[0]?.host ?? 'local');
  const queue = new Queue(name, { connection: { url: bench.env.REDIS_URL! }, prefix: queuePrefixOf(bench.env.QUEUE_PREFIX!, name) });
  try {
    const jobs = (await Promise.all(jobIds.map((id) => queue.getJob(id)))).filter((j) => j?.processedOn && j.finishedOn);
    const spans = await Promise.all(
      jobs.map(async (j) => {
        const { logs } = await queue.getJobLogs(j!.id!);
        const steps = logs.flatMap((l) => {
          const m = STEP_LINE.exec(l);
          return m ? [[Date.parse(m[1]!), Date.parse(m[2]!)] as const] : [];
        });
        const inSteps = steps.reduce((a, [b, e]) => a + (e - b), 0);
        const between = steps.slice(1).reduce((a, [b], i) => a + (b - steps[i]![1]), 0);
        return {
          added: j!.timestamp,
          taken: j!.processedOn!,
          finished: j!.finishedOn!,
          before: steps.length ? steps[0]![0] - j!.processedOn! : NaN,
          between,
          after: steps.length ? j!.finishedOn! - steps.at(-1)![1] : NaN,
          inSteps,
        };
      }),
    );
    const taken = spans.map((s) => s.taken).sort((a, b) => a - b);
    const finished = spans.map((s) => s.finished).sort((a, b) => a - b);
    const handover = taken.slice(width).map((t, k) => t - finished[k]!);
    const busy = spans.reduce((a, s) => a + (s.finished - s.taken), 0);
    return [
      `${spans.length} jobs`,
      `queued ${ms(Math.min(...spans.map((s) => s.added)) - start)}–${ms(Math.max(...spans.map((s) => s.added)) - start)} after the request`,
      `first taken at ${ms(taken[0]! - start)}, last finished ${ms(finished.at(-1)! - end)} after the last online`,
      `slots filled ${((busy / (width * (end - start))) * 100).toFixed(1)} %`,
      `per job: in steps ${ms(meanOf(spans.map((s) => s.inSteps)))}, before the first ${ms(meanOf(spans.map((s) => s.before)))}, between steps ${ms(meanOf(spans.map((s) => s.between)))}, after the last ${ms(meanOf(spans.map((s) => s.after)))}`,
      `freed slot → next job taken ${ms(meanOf(handover))} (max ${ms(Math.max(...handover))})`,
    ].join('; ');
  } finally {
    await queue.close();
  }
}
