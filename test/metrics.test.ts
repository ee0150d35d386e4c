import { beforeAll, describe, expect, it } from 'vitest';
import { jobMetricDefs, renderMetric } from '@dockyard/shared';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';
import { hasSample, parseExposition, valueOf } from './helpers/prometheus-text.ts';

describe('GET /metrics: Prometheus text, with the job metrics of worker processes recorded through Redis', () => {
  // no in-process worker: the only worker is a separate process, as in production
  const stack = useStack({ worker: false });
  const scrape = async () => {
    const res = await stack.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(res.body as string);
  };
  const outcome = (job: string, outcome: string) => ({ job, outcome });

  beforeAll(async () => {
    stack.spawnWorker();
  });

  it('needs the token', async () => {
    const res = await stack.request('GET', '/metrics', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('lists queue depth per queue and state, workspaces per status, DLQ size, request latency and Node process metrics', async () => {
    const m = await scrape();
    for (const queue of ['provision@local', 'restart@local', 'stop@local', 'remove@local', 'dead-letter']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) {
        expect(hasSample(m, 'dockyard_queue_jobs', { queue, state }), `${queue}/${state}`).toBe(true);
      }
    }
    expect(hasSample(m, 'dockyard_workspaces', { status: 'online' })).toBe(true);
    expect(hasSample(m, 'dockyard_dead_letter_queue_size', {})).toBe(true);
    expect(m.get('dockyard_http_request_duration_seconds')?.type).toBe('histogram');
    expect(m.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
    for (const def of Object.values(jobMetricDefs)) expect(m.get(def.name)?.type, def.name).toBe(def.type);
    expect(hasSample(m, 'dockyard_fenced_writes_total', {})).toBe(true);
    expect(valueOf(m, 'dockyard_fenced_writes_total')).toBe(0);
  });

  it('moves the job counters and histograms when a job runs in another process', async () => {
    const before = await scrape();
    expect(valueOf(before, 'dockyard_job_outcomes_total', outcome('provision', 'completed'))).toBe(0);
    expect(valueOf(before, 'dockyard_workspaces', { status: 'online' })).toBe(0);

    const { workspace } = await stack.create('busybox', 'metered');
    await stack.waitForStatus(workspace.id, 'online', 60_000);
    const after = await waitFor('the provision to show in /metrics', async () => {
      const m = await scrape();
      return valueOf(m, 'dockyard_job_outcomes_total', outcome('provision', 'completed')) === 1 ? m : undefined;
    });
    const done = outcome('provision', 'completed');
    expect(valueOf(after, 'dockyard_job_duration_seconds_count', done)).toBe(1);
    expect(valueOf(after, 'dockyard_job_duration_seconds_sum', done)).toBeGreaterThan(0);
    expect(valueOf(after, 'dockyard_job_duration_seconds_bucket', { ...done, le: '+Inf' })).toBe(1);
    const steps = after.get('dockyard_step_duration_seconds')!.samples.filter((s) => s.name.endsWith('_count') && s.labels.job === 'provision');
    expect(steps.length).toBeGreaterThanOrEqual(3);
    for (const s of steps) expect(s.value, s.labels.step).toBe(1);
    expect(valueOf(after, 'dockyard_workspaces', { status: 'online' })).toBe(1);
    const posts = { method: 'POST', route: '/v1/workspaces', status_code: '202' };
    expect(valueOf(after, 'dockyard_http_request_duration_seconds_count', posts)).toBe(1);
  });

  it('counts dead-lettered jobs and the dead-letter queue', async () => {
    const { workspace } = await stack.create('notemplate', 'doomed');
    await stack.waitForStatus(workspace.id, 'failed', 60_000);
    const m = await waitFor('the dead letter to show in /metrics', async () => {
      const s = await scrape();
      return valueOf(s, 'dockyard_job_outcomes_total', outcome('provision', 'dead_lettered')) === 1 ? s : undefined;
    });
    expect(valueOf(m, 'dockyard_dead_letter_queue_size')).toBe(1);
    expect(valueOf(m, 'dockyard_queue_jobs', { queue: 'dead-letter', state: 'waiting' })).toBe(1);
    expect(valueOf(m, 'dockyard_workspaces', { status: 'failed' })).toBe(1);
    expect(valueOf(m, 'dockyard_job_duration_seconds_count', outcome('provision', 'dead_lettered'))).toBe(1);
  });
});

describe('renderMetric', () => {
  it('escapes label values and accumulates histogram buckets', () => {
    const text = renderMetric(jobMetricDefs.stepDuration, [
      { labels: { job: 'provi"sion', step: 'a\\b\nc' }, value: 0, sum: 1.5, count: 3, buckets: [1, 0, 1, 0, 0, 0, 0, 0, 0, 1] },
    ]);
    const m = parseExposition(text);
    const labels = { job: 'provi"sion', step: 'a\\b\nc' };
    const bucket = (le: string) => valueOf(m, 'dockyard_step_duration_seconds_bucket', { ...labels, le });
    expect([bucket('0.05'), bucket('0.1'), bucket('0.5'), bucket('60'), bucket('+Inf')]).toEqual([1, 1, 2, 2, 3]);
    expect(valueOf(m, 'dockyard_step_duration_seconds_count', labels)).toBe(3);
    expect(valueOf(m, 'dockyard_step_duration_seconds_sum', labels)).toBe(1.5);
  });

  it('rejects what is not Prometheus text', () => {
    expect(() => parseExposition('# TYPE x counter\nx{a="b} 1\n')).toThrow();
    expect(() => parseExposition('y 1\n')).toThrow(/undeclared/);
  });
});
