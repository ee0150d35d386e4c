import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { REPO } from './helpers/stack.ts';
import { waitFor } from './helpers/wait.ts';
import { promtoolFindings, startPrometheus, type PrometheusServer, type Sample } from './helpers/prometheus-server.ts';

/** The queries of the README's metrics section: its table of `query` | what it answers. */
function readmeQueries(): string[] {
  const readme = readFileSync(`${REPO}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('Useful queries'), readme.indexOf('\n## ', readme.indexOf('Useful queries')));
  return [...section.matchAll(/^\| `([^`]+)` \| [^|]+ \|$/gm)].map((m) => m[1]!);
}

const KINDS = ['provision', 'restart', 'stop', 'remove', 'move'];
const SOURCES = ['docker-events', 'api-events', 'job', 'reconciler'];
const PROVISION_STEPS = ['create-volume', 'seed', 'mark-provisioned', 'create-container', 'start', 'wait-running'];
/** the name, and Prometheus' own target labels on every series it scraped */
const NOT_OURS = ['__name__', 'instance', 'job'];
const ownLabels = (s: Sample) => Object.keys(s.metric).filter((k) => !NOT_OURS.includes(k)).sort();
const find = (result: Sample[], labels: Record<string, string>) => result.find((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v));

/**
 * The metrics through a real Prometheus (issue 16): Debian's server scrapes the API with the bearer
 * token every second while jobs run, and every query the README documents is evaluated through its
 * HTTP API; each must answer the series the README says. `promtool check metrics` finds nothing
 * in Dockyard's own metrics.
 */
describe('the README\'s queries against a real Prometheus scraping the API', () => {
  // fleet timings short enough for the fleet watch (in this worker) to judge a silent host within seconds
  const stack = useStack({ env: { HOST_HEARTBEAT_MS: '300', HOST_FENCE_AFTER_MS: '2500', HOST_LOST_AFTER_MS: '5000' } });
  let prom: PrometheusServer;
  afterAll(async () => {
    await prom?.stop();
  });

  const value = async (promql: string) => (await prom.query(promql))[0]?.value;
  /** Wait until Prometheus has scraped what /metrics shows: each query answers its value. */
  const ingested = (expected: Record<string, number>) =>
    waitFor(`Prometheus to ingest ${JSON.stringify(expected)}`, async () => {
      for (const [promql, v] of Object.entries(expected)) if ((await value(promql)) !== v) return false;
      return true;
    }, { timeoutMs: 60_000, intervalMs: 250 });
  const outcomes = (kind: string, outcome: string) => `dockyard_job_outcomes_total{kind="${kind}",outcome="${outcome}"}`;
  const create = async (runtime: string, name: string) => (await stack.create(runtime, name)).workspace.id as string;

  beforeAll(async () => {
    // a cordoned host (no placements) that reports until the test silences it
    await stack.pool.query(`insert into hosts (name, capacity, state, last_heartbeat) values ('gone', 3, 'cordoned', now() + interval '1 hour')`);
    prom = await startPrometheus(stack.url, stack.token, 1);
    // every counter series with known label values is in Prometheus at 0 before anything happens
    await ingested({ 'up{job="dockyard"}': 1, [outcomes('provision', 'completed')]: 0, 'dockyard_host_failovers_total{host="gone"}': 0, 'dockyard_auto_restarts_total{source="api-events"}': 0 });

    // round 1: two provisions, a restart, a dead letter
    const [a, b] = [await create('busybox', 'prom-a'), await create('busybox', 'prom-b')];
    const doomed = await create('notemplate', 'prom-doomed-1');
    for (const id of [a, b]) await stack.waitForStatus(id, 'online', 60_000);
    await stack.waitForStatus(doomed, 'failed', 60_000);
    const restart = (await stack.request('POST', `/v1/workspaces/${a}/restart`)).body.jobId;
    await stack.waitForJob(a, restart, 'online');
    await ingested({ [outcomes('provision', 'completed')]: 2, [outcomes('restart', 'completed')]: 1, [outcomes('provision', 'dead_lettered')]: 1 });

    // round 2, so that every rate() has moved: a provision, two restarts (one asked for, one after an
    // outside watcher's event), a container killed (the Docker events watcher restarts it), a dead letter, a lost host
    const c = await create('busybox', 'prom-c');
    const doomed2 = await create('notemplate', 'prom-doomed-2');
    const again = (await stack.request('POST', `/v1/workspaces/${a}/restart`)).body.jobId;
    expect((await stack.request('POST', '/v1/events', { body: { type: 'liveness.lost', workspaceId: b } })).body.accepted).toBe(true);
    await stack.waitForJob(a, again, 'online');
    await stack.waitForIdle(a);
    const { containerName } = (await stack.request('GET', `/v1/workspaces/${a}`)).body;
    await stack.docker.getContainer(containerName).kill();
    await stack.pool.query(`update hosts set last_heartbeat = now() - interval '1 hour' where name = 'gone'`);
    for (const id of [c, b]) await stack.waitForStatus(id, 'online', 60_000);
    await stack.waitForStatus(doomed2, 'failed', 60_000);
    await ingested({
      [outcomes('provision', 'completed')]: 3,
      [outcomes('provision', 'dead_lettered')]: 2,
      'dockyard_auto_restarts_total{source="api-events"}': 1,
      'dockyard_auto_restarts_total{source="docker-events"}': 1,
      'dockyard_host_failovers_total{host="gone"}': 1,
      'dockyard_host_up{host="gone"}': 0,
    });
    await waitFor('the restarts to be counted', async () => ((await value(outcomes('restart', 'completed'))) ?? 0) >= 4, { timeoutMs: 60_000 });
  }, 300_000);

  /** What each README query must answer, after the jobs above. */
  const EXPECTED: Record<string, (result: Sample[]) => void | Promise<void>> = {
    'sum by (host) (dockyard_queue_jobs{state="waiting", host!=""})': (r) => {
      for (const s of r) expect(ownLabels(s)).toEqual(['host']);
      expect(r.map((s) => s.metric.host)).toContain('local');
    },
    'sum by (queue) (dockyard_queue_jobs{state="waiting"})': (r) => {
      for (const s of r) expect(ownLabels(s)).toEqual(['queue']);
      expect(r.map((s) => s.metric.queue)).toEqual(expect.arrayContaining(['provision@local', 'restart@local', 'stop@local', 'remove@local', 'dead-letter']));
      expect(find(r, { queue: 'dead-letter' })!.value).toBeGreaterThanOrEqual(1);
    },
    'sum by (kind) (rate(dockyard_job_outcomes_total{outcome="dead_lettered"}[5m]))': (r) => {
      for (const s of r) expect(ownLabels(s)).toEqual(['kind']);
      expect(r.map((s) => s.metric.kind).sort()).toEqual([...KINDS].sort());
      expect(find(r, { kind: 'provision' })!.value).toBeGreaterThan(0);
      expect(find(r, { kind: 'stop' })!.value).toBe(0);
    },
    'histogram_quantile(0.95, sum by (le, kind) (rate(dockyard_job_duration_seconds_bucket{outcome="completed"}[5m])))': (r) => {
      for (const s of r) expect(ownLabels(s)).toEqual(['kind']);
      for (const kind of ['provision', 'restart']) expect(find(r, { kind })?.value, kind).toBeGreaterThan(0);
    },
    'histogram_quantile(0.95, sum by (le, kind, step) (rate(dockyard_step_duration_seconds_bucket[5m])))': (r) => {
      for (const s of r) expect(ownLabels(s)).toEqual(['kind', 'step']);
      for (const step of PROVISION_STEPS) expect(find(r, { kind: 'provision', step })?.value, step).toBeGreaterThan(0);
      expect(find(r, { kind: 'restart', step: 'preflight' })?.value).toBeGreaterThan(0);
    },
    'sum by (source) (rate(dockyard_auto_restarts_total[15m]))': (r) => {
      for (const s of r) expect(ownLabels(s)).toEqual(['source']);
      expect(r.map((s) => s.metric.source).sort()).toEqual([...SOURCES].sort());
      for (const source of ['api-events', 'docker-events']) expect(find(r, { source })!.value, source).toBeGreaterThan(0);
    },
    'dockyard_host_up == 0': (r) => {
      expect(r.map((s) => [s.metric.host, ownLabels(s)])).toEqual([['gone', ['host']]]);
      expect(r[0]!.metric.job).toBe('dockyard'); // Prometheus' own job label, untouched
    },
    'sum by (host) (dockyard_host_workspaces{status!="removed"}) / on (host) dockyard_host_capacity': async (r) => {
      for (const s of r) expect(ownLabels(s)).toEqual(['host']);
      const placed = (await stack.pool.query(`select count(*)::int as n from workspaces where host = 'local' and status <> 'removed'`)).rows[0].n;
      expect(placed).toBe(5);
      expect(find(r, { host: 'local' })!.value).toBeCloseTo(placed / 100);
      expect(find(r, { host: 'gone' })!.value).toBe(0);
    },
    'increase(dockyard_host_failovers_total[1h])': (r) => {
      for (const s of r) expect(ownLabels(s)).toEqual(['host']);
      expect(find(r, { host: 'gone' })!.value).toBeGreaterThanOrEqual(1);
      expect(find(r, { host: 'local' })!.value).toBe(0);
    },
  };

  it('knows every query the README documents, and the README documents every query checked here', () => {
    expect(readmeQueries()).toEqual(Object.keys(EXPECTED));
  });

  it('answers each README query with the series the README says', async () => {
    for (const query of readmeQueries()) {
      const result = await prom.query(query);
      expect(result.length, query).toBeGreaterThan(0);
      await EXPECTED[query]!(result);
    }
  });

  it('scraped with the token, and no Dockyard series carries a label Prometheus had to rename', async () => {
    expect(await value('up{job="dockyard"}')).toBe(1);
    expect(await prom.query('{__name__=~"dockyard_.+", exported_job!=""}')).toEqual([]);
    expect(await prom.query('{__name__=~"dockyard_.+", exported_instance!=""}')).toEqual([]);
    expect((await prom.query('count by (job) ({__name__=~"dockyard_.+"})')).map((s) => s.metric.job)).toEqual(['dockyard']);
  });

  it('passes promtool check metrics: no finding for a dockyard_* metric', async () => {
    const scrape = await stack.request('GET', '/metrics');
    expect(scrape.status).toBe(200);
    const findings = promtoolFindings(scrape.body as string);
    expect(findings.filter((f) => f.startsWith('dockyard_'))).toEqual([]);
    // promtool does report on such a metric: a counter without its _total suffix
    expect(promtoolFindings('# HELP dockyard_bad a counter\n# TYPE dockyard_bad counter\ndockyard_bad 1\n').filter((f) => f.startsWith('dockyard_bad'))).not.toEqual([]);
  });
});
