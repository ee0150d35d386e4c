import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { REPO } from './helpers/stack.ts';
import { parseExposition } from './helpers/prometheus-text.ts';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus-server.ts';

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}
const dashboard = JSON.parse(readFileSync(`${REPO}docs/grafana/dockyard.json`, 'utf8')) as { panels: Panel[]; title: string };
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/**
 * The Grafana dashboard shipped in docs/grafana/dockyard.json: every query names only metrics the
 * API's /metrics exposes (scraped from a stack that ran jobs), never a `job` label (Prometheus owns
 * it; the job kind is `kind`), and is valid PromQL to a real Prometheus scraping that stack.
 */
describe('the Grafana dashboard', () => {
  const stack = useStack();
  let prom: PrometheusServer;
  let exposed: Set<string>;

  beforeAll(async () => {
    const { workspace } = await stack.create('busybox', 'dash');
    await stack.waitForStatus(workspace.id, 'online', 60_000);
    const res = await stack.request('GET', '/metrics');
    expect(res.status).toBe(200);
    const families = parseExposition(String(res.body));
    exposed = new Set([...families].flatMap(([name, f]) => (f.type === 'histogram' ? [name, ...HISTOGRAM_SUFFIXES.map((s) => name + s)] : [name])));
    prom = await startPrometheus(stack.url, stack.token, 1);
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
  });

  it('has the panels the issue asks for, each with a query', () => {
    expect(dashboard.title).toBe('Dockyard');
    const all = exprs.map((e) => e.expr).join('\n');
    for (const metric of ['dockyard_queue_jobs', 'dockyard_step_duration_seconds_bucket', 'dockyard_job_outcomes_total', 'dockyard_auto_restarts_total', 'dockyard_crash_loop_failures_total', 'dockyard_http_request_duration_seconds_bucket']) {
      expect(all).toContain(metric);
    }
    for (const p of panels) expect(p.targets?.length, p.title).toBeGreaterThan(0);
  });

  it('queries only metrics /metrics exposes, and never a `job` label', () => {
    for (const { panel, expr } of exprs) {
      const names = expr.match(/\b(?:dockyard|process|nodejs)_[a-zA-Z0-9_:]*/g) ?? [];
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exposed.has(name), `${panel}: ${name} is not exposed by /metrics`).toBe(true);
      expect(expr, panel).not.toMatch(/[{,(]\s*job\s*(=|!=|=~|!~|,|\))/);
    }
  });

  it('is valid PromQL to a real Prometheus scraping the API', async () => {
    for (const { panel, expr } of exprs) {
      await expect(prom.query(expr), `${panel}: ${expr}`).resolves.toBeInstanceOf(Array);
    }
  });

  it('is listed panel by panel in the README', () => {
    const readme = readFileSync(`${REPO}README.md`, 'utf8');
    const section = readme.slice(readme.indexOf('### The Grafana dashboard'));
    for (const p of panels) expect(section, p.title).toContain(`**${p.title}**`);
  });
});
