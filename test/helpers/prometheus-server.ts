import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from './wait.ts';

/**
 * A real Prometheus server (Debian's `prometheus`, which `npm test` installs when missing) and
 * its `promtool`, for test/metrics.prometheus.test.ts. The server listens on loopback only, keeps
 * its data in a temporary folder, and is stopped by its PID.
 */

export function findProgram(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin']) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  throw new Error(`${name} is not installed: \`npm test\` installs Debian's prometheus package (it brings ${name})`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One series of an instant query's answer. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** Scrapes `target` (an http://host:port base) at `/metrics` with the bearer token every `intervalS` seconds. */
export async function startPrometheus(target: string, token: string, intervalS = 1) {
  const prometheus = findProgram('prometheus');
  const dir = mkdtempSync(path.join(tmpdir(), 'dockyard-prometheus-'));
  const port = await freePort();
  writeFileSync(path.join(dir, 'token'), token, { mode: 0o600 });
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${intervalS}s`,
      `  scrape_timeout: ${intervalS}s`,
      `  evaluation_interval: ${intervalS}s`,
      'scrape_configs:',
      '  - job_name: dockyard',
      '    metrics_path: /metrics',
      '    authorization:',
      '      type: Bearer',
      `      credentials_file: ${path.join(dir, 'token')}`,
      '    static_configs:',
      `      - targets: ['${new URL(target).host}']`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    prometheus,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (d) => log.push(...String(d).split('\n').filter(Boolean)));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const pid = child.pid!;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor('Prometheus to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log.slice(-5).join(' | ')}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    pid,
    log,
    /** An instant query through the HTTP API (/api/v1/query); a PromQL error throws. */
    async query(promql: string): Promise<Sample[]> {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const answer = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (answer.status !== 'success') throw new Error(`${promql}: ${answer.error}`);
      if (answer.data!.resultType !== 'vector') throw new Error(`${promql}: a ${answer.data!.resultType}, not a vector`);
      return answer.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    stop,
  };
}
export type PrometheusServer = Awaited<ReturnType<typeof startPrometheus>>;

/** `promtool check metrics` over an exposition: its findings, one a line (it reports on stdout or stderr by version). */
export function promtoolFindings(exposition: string): string[] {
  const run = spawnSync(findProgram('promtool'), ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error) throw run.error;
  return `${run.stdout}\n${run.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
}
