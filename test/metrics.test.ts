import { beforeAll, describe, expect, it } from 'vitest';
import { jobMetricDefs, renderMetric } from '@dockyard/shared';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';
import { hasSample, parseExposition, valueOf } from './helpers/prometheus-text.ts';
import type { Stack } from './helpers/stack.ts';

/** GET /metrics, checked to be Prometheus text and parsed by the strict parser. */
const scraperOf = (stack: Stack) => async () => {
  const res = await stack.request('GET', '/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.body as string);
};

describe('GET /metrics: Prometheus text, with the job metrics of worker processes recorded through Redis', () => {
  // no in-process worker: the only worker is a separate process, as in production
  const stack = useStack({ worker: false });
  const scrape = scraperOf(stack);
  const outcome = (kind: string, outcome: string) => ({ kind, outcome });

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
    // the counters whose label values are known show each series at 0 before its first event
    for (const kind of ['provision', 'restart', 'stop', 'remove', 'move']) {
      for (const o of ['completed', 'retried', 'dead_lettered', 'superseded']) expect(hasSample(m, 'dockyard_job_outcomes_total', outcome(kind, o)), `${kind}/${o}`).toBe(true);
    }
    for (const source of ['docker-events', 'api-events', 'job', 'reconciler']) expect(hasSample(m, 'dockyard_auto_restarts_total', { source }), source).toBe(true);
    expect(valueOf(m, 'dockyard_auto_restarts_total', { source: 'job' })).toBe(0);
    expect(hasSample(m, 'dockyard_host_failovers_total', { host: 'local' })).toBe(true);
    // no label a real Prometheus keeps for itself (it would rename ours exported_job, exported_instance)
    const reserved = [...m].filter(([name]) => name.startsWith('dockyard_')).flatMap(([name, f]) => f.samples.filter((s) => 'job' in s.labels || 'instance' in s.labels).map(() => name));
    expect(reserved).toEqual([]);
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
    const steps = after.get('dockyard_step_duration_seconds')!.samples.filter((s) => s.name.endsWith('_count') && s.labels.kind === 'provision');
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

describe('GET /metrics: the hosts of the fleet, their workspaces, and failovers', () => {
  // short fleet timings: the fleet watch (in the `local` worker) judges a silent host within seconds
  const stack = useStack({ worker: false, env: { HOST_HEARTBEAT_MS: '200', HOST_FENCE_AFTER_MS: '1000', HOST_LOST_AFTER_MS: '2000' } });
  const scrape = scraperOf(stack);
  const addSilentHost = (name: string) =>
    stack.pool.query(`insert into hosts (name, capacity, last_heartbeat) values ($1, 3, now() - interval '1 minute')`, [name]);

  beforeAll(async () => {
    await stack.startWorker(); // host local, with every role, so the fleet watch runs here
    await stack.startWorker({ HOST_NAME: 'h2', HOST_CAPACITY: '7', WORKER_ROLES: 'jobs' });
    await stack.pool.query(
      `insert into workspaces (id, name, runtime, status, desired_state, generation, host)
       select gen_random_uuid(), 'parked-' || i, 'busybox', 'paused', 'stopped', 1, 'h2' from generate_series(1, 2) i`,
    );
  });

  it('reports each host\'s capacity, whether it is up, and its workspaces per status', async () => {
    const m = await waitFor('both hosts to be up', async () => {
      const s = await scrape();
      return valueOf(s, 'dockyard_host_up', { host: 'local' }) === 1 && valueOf(s, 'dockyard_host_up', { host: 'h2' }) === 1 ? s : undefined;
    });
    expect(m.get('dockyard_host_up')?.type).toBe('gauge');
    expect(valueOf(m, 'dockyard_host_capacity', { host: 'local' })).toBe(100);
    expect(valueOf(m, 'dockyard_host_capacity', { host: 'h2' })).toBe(7);
    expect(valueOf(m, 'dockyard_host_workspaces', { host: 'h2', status: 'paused' })).toBe(2);
    // every status of every host has its series, zeros included
    for (const host of ['local', 'h2']) {
      for (const status of ['provisioning', 'online', 'offline', 'failed', 'paused', 'removed']) {
        expect(hasSample(m, 'dockyard_host_workspaces', { host, status }), `${host}/${status}`).toBe(true);
      }
    }
    expect(valueOf(m, 'dockyard_host_workspaces', { host: 'local', status: 'paused' })).toBe(0);
    // label names only these: never `job` or `instance`, which a real Prometheus keeps for itself
    const labelNames = [...m].filter(([name]) => name.startsWith('dockyard_host_')).flatMap(([, f]) => f.samples.flatMap((s) => Object.keys(s.labels)));
    expect(new Set(labelNames)).toEqual(new Set(['host', 'status']));
  });

  it('reports a silent host down, and counts each lost host once in dockyard_host_failovers_total', async () => {
    await addSilentHost('gone');
    const before = await scrape();
    // silent for longer than HOST_LOST_AFTER_MS: down, whether or not the fleet watch marked it lost yet
    expect(hasSample(before, 'dockyard_host_up', { host: 'gone' })).toBe(true);
    expect(valueOf(before, 'dockyard_host_up', { host: 'gone' })).toBe(0);
    expect(valueOf(before, 'dockyard_host_capacity', { host: 'gone' })).toBe(3);

    const failovers = (m: Awaited<ReturnType<typeof scrape>>, host: string) => valueOf(m, 'dockyard_host_failovers_total', { host });
    await waitFor('the fleet watch to evacuate host gone', async () => failovers(await scrape(), 'gone') === 1);
    const { rows } = await stack.pool.query(`select state::text from hosts where name = 'gone'`);
    expect(rows[0].state).toBe('lost');
    // a later loss counts on its own series; the first one was not counted again meanwhile
    await addSilentHost('gone-too');
    const m = await waitFor('the fleet watch to evacuate host gone-too', async () => {
      const s = await scrape();
      return failovers(s, 'gone-too') === 1 ? s : undefined;
    });
    expect(failovers(m, 'gone')).toBe(1);
    expect(valueOf(m, 'dockyard_host_failovers_total', { host: 'local' })).toBe(0);
    expect(valueOf(m, 'dockyard_host_up', { host: 'local' })).toBe(1);
    expect(valueOf(m, 'dockyard_host_up', { host: 'gone' })).toBe(0);
  });
});

describe('renderMetric', () => {
  it('escapes label values and accumulates histogram buckets', () => {
    const text = renderMetric(jobMetricDefs.stepDuration, [
      { labels: { kind: 'provi"sion', step: 'a\\b\nc' }, value: 0, sum: 1.5, count: 3, buckets: [1, 0, 1, 0, 0, 0, 0, 0, 0, 1] },
    ]);
    const m = parseExposition(text);
    const labels = { kind: 'provi"sion', step: 'a\\b\nc' };
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
