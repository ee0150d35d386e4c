// docker-compose.yml and the app Dockerfile, checked as files: through `docker compose config` when
// the compose plugin exists, else by parsing the YAML. test/compose.stack.test.ts brings them up for real.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { OUTPUTS } from '../scripts/lib/build.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE_FILE = join(REPO, 'docker-compose.yml');

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[];
  group_add?: string[];
  environment?: Record<string, string>;
  volumes?: Mount[];
  depends_on?: Record<string, { condition: string }>;
}

/** Short (`src:dst:ro`) or long (`{ source, target, read_only }`) volume syntax → one shape. */
function toMount(volume: unknown): Mount {
  if (typeof volume === 'string') {
    const [source = '', target = '', mode = ''] = volume.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  }
  const v = volume as { source: string; target: string; read_only?: boolean };
  return { source: v.source, target: v.target, readOnly: v.read_only === true };
}

function loadCompose(): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  const env = { ...process.env, API_TOKEN: 'x'.repeat(32), POSTGRES_PASSWORD: 'secret' };
  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  let raw;
  if (plugin.status === 0) {
    const config = spawnSync('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--format', 'json'], { encoding: 'utf8', env });
    if (config.status !== 0) throw new Error(`docker compose config failed: ${config.stderr}`);
    raw = JSON.parse(config.stdout);
  } else {
    raw = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
  }
  const services: Record<string, Service> = {};
  for (const [name, s] of Object.entries<Record<string, unknown>>(raw.services)) {
    const build = s.build as Service['build'] | undefined;
    services[name] = {
      ...(s as Service),
      build: build && { ...build, context: resolve(REPO, build.context) },
      volumes: ((s.volumes as unknown[]) ?? []).map(toMount),
    };
  }
  return { services, volumes: raw.volumes ?? {} };
}

/**
 * The commented example of a worker on another host (it runs on that machine, so it cannot be a
 * live service here): the `# worker-host-2:` block, uncommented and parsed.
 */
function loadRemoteWorkerExample(): Service {
  const lines = readFileSync(COMPOSE_FILE, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === '# worker-host-2:');
  expect(start, 'docker-compose.yml has no commented worker-host-2 example').toBeGreaterThan(0);
  const block: string[] = [];
  for (const line of lines.slice(start)) {
    if (!/^ {2}#( |$)/.test(line)) break;
    block.push(line.slice(4));
  }
  const s = (parse(block.join('\n')) as Record<string, Record<string, unknown>>)['worker-host-2']!;
  return { ...(s as Service), volumes: ((s.volumes as unknown[]) ?? []).map(toMount) };
}

const { services, volumes } = loadCompose();
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const mountAt = (s: Service, target: string | undefined) => s.volumes?.find((m) => m.target === target);

interface Stage {
  from: string;
  name?: string;
  instructions: string[];
}

/** A service's Dockerfile as stages, `${ARG}` expanded from the service's build args, else the ARG's default. */
function dockerfileStages(s: Service): Stage[] {
  const file = join(s.build?.context ?? '', s.build?.dockerfile ?? '');
  expect(existsSync(file), file).toBe(true);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim().replace(/\$\{(\w+)\}/g, (_, name: string) => s.build?.args?.[name] ?? args[name] ?? '');
    const arg = /^ARG\s+(\w+)=(\S+)$/.exec(line);
    if (arg && !stages.length) args[arg[1]!] = arg[2]!;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1]!, name: from[2], instructions: [] });
    else if (line && !line.startsWith('#')) stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** The argument of the image's last `CMD`/`USER`/…: from the final stage, else the stages it builds on. */
function imageSetting(stages: Stage[], instruction: string): string | undefined {
  for (let stage = stages.at(-1); stage; stage = stages.find((s) => s.name === stage?.from)) {
    const found = stage.instructions.filter((i) => i.startsWith(`${instruction} `)).at(-1);
    if (found) return found.slice(instruction.length + 1);
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('runs Redis 7 with the append-only file on a volume', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7/);
    expect(redis.command?.join(' ')).toContain('--appendonly yes');
    expect(mountAt(redis, '/data')?.source).toBeTruthy();
  });

  it('keeps Postgres 16 data in a named volume', () => {
    const postgres = service('postgres');
    expect(postgres.image).toMatch(/^postgres:16/);
    expect(postgres.environment).toHaveProperty('POSTGRES_PASSWORD');
    const data = mountAt(postgres, '/var/lib/postgresql/data');
    expect(data).toBeDefined();
    expect(Object.keys(volumes)).toContain(data?.source);
  });

  it('gives the api its connections, the token and the config files (read-only)', () => {
    const api = service('api');
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'SECRETS_KEY', 'API_TOKEN', 'PORT', 'HOST', 'TEMPLATES_DIR', 'RUNTIMES_FILE']) {
      expect(api.environment, key).toHaveProperty(key);
    }
    expect(api.environment?.HOST).toBe('0.0.0.0');
    expect(mountAt(api, api.environment?.TEMPLATES_DIR)?.readOnly).toBe(true);
    expect(mountAt(api, api.environment?.RUNTIMES_FILE)?.readOnly).toBe(true);
  });

  it('refuses to start without an API token, a secrets key, or the Docker socket\'s group', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    expect(text).toMatch(/API_TOKEN: \$\{API_TOKEN:\?/);
    expect(text).toMatch(/SECRETS_KEY: \$\{SECRETS_KEY:\?/);
    expect(text).toMatch(/- "\$\{DOCKER_GID:\?/);
  });

  it('gives the worker the Docker socket and read-only templates and runtimes', () => {
    const worker = service('worker');
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'DOCKER_HOST', 'TEMPLATES_DIR', 'RUNTIMES_FILE', 'WORKSPACE_NETWORK']) {
      expect(worker.environment, key).toHaveProperty(key);
    }
    expect(worker.environment?.DOCKER_HOST).toBe('unix:///var/run/docker.sock');
    expect(mountAt(worker, '/var/run/docker.sock')?.source).toBe('/var/run/docker.sock');
    const templates = mountAt(worker, worker.environment?.TEMPLATES_DIR);
    expect(templates?.readOnly).toBe(true);
    expect(resolve(REPO, templates?.source ?? '')).toBe(join(REPO, 'config', 'templates'));
    expect(mountAt(worker, worker.environment?.RUNTIMES_FILE)?.readOnly).toBe(true);
  });

  it('runs one worker per Docker host, each naming its host and driving its engine through the local socket', () => {
    const workers = Object.entries(services).filter(([, s]) => s.command?.[0] === 'worker');
    expect(workers.map(([name]) => name)).toContain('worker');
    const remote = loadRemoteWorkerExample();
    for (const [name, worker] of [...workers, ['worker-host-2 (commented example)', remote] as const]) {
      expect(worker.command, name).toEqual(['worker']);
      expect(worker.group_add?.length, `${name} joins the socket's group`).toBe(1);
      expect(worker.environment?.HOST_NAME, name).toMatch(/\S/);
      const socket = /^unix:\/\/(\/.+)$/.exec(worker.environment?.DOCKER_HOST ?? '')?.[1]; // never tcp://
      expect(socket, name).toBeDefined();
      expect(mountAt(worker, socket)?.source, name).toBe('/var/run/docker.sock');
      for (const key of ['DATABASE_URL', 'REDIS_URL', 'TEMPLATES_DIR', 'RUNTIMES_FILE']) expect(worker.environment, `${name} ${key}`).toHaveProperty(key);
      expect(mountAt(worker, worker.environment?.TEMPLATES_DIR)?.readOnly, name).toBe(true);
      expect(mountAt(worker, worker.environment?.RUNTIMES_FILE)?.readOnly, name).toBe(true);
    }
    // a single-host install (and one from before the fleet) keeps its one host, `local`
    expect(readFileSync(COMPOSE_FILE, 'utf8')).toContain('HOST_NAME: ${HOST_NAME:-local}');
    expect(remote.environment?.HOST_NAME).toBe('host-2');
    // the remote worker reaches this machine's Postgres and Redis, not services of its own compose file
    expect(remote.environment?.DATABASE_URL).not.toContain('@postgres:');
    expect(remote.environment?.REDIS_URL).not.toContain('//redis:');
  });

  it('runs migrations once, before the api and the worker', () => {
    expect(service('migrate').command).toEqual(['migrate']);
    for (const name of ['api', 'worker']) {
      expect(service(name).depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
    }
  });

  it('runs every Dockyard process from one image, built once from the one Dockerfile, its command picking the process', () => {
    const image = service('migrate').image;
    expect(image).toBeTruthy();
    for (const [name, command] of [['migrate', 'migrate'], ['api', 'api'], ['worker', 'worker']] as const) {
      expect(service(name).image, name).toBe(image);
      expect(service(name).command, name).toEqual([command]);
      if (name !== 'migrate') expect(service(name).build, `${name} uses migrate's build`).toBeUndefined();
    }
    // the only Dockerfiles: the apps' and the sample runtime's
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(join(REPO, dir), { withFileTypes: true })) {
        if (e.isDirectory() && !['node_modules', '.dockyard', '.git'].includes(e.name)) walk(join(dir, e.name));
        else if (e.isFile() && e.name.startsWith('Dockerfile')) found.push(join(dir, e.name));
      }
    };
    walk('');
    const dockerfiles = found.sort();
    expect(dockerfiles).toEqual(['docker/app/Dockerfile', 'docker/runtime-busybox/Dockerfile']);
    const stages = dockerfileStages(service('migrate'));
    expect(stages.map((st) => st.from)).toEqual(['node:20-bookworm-slim', 'pnpm', 'pnpm', 'node:20-bookworm-slim']);
    const instructions = stages.flatMap((st) => st.instructions);
    expect(instructions).toContain('RUN pnpm install --prod --frozen-lockfile'); // the image's node_modules
    expect(instructions).toContain('RUN pnpm install --frozen-lockfile'); // the build stage's, with esbuild
    expect(instructions).toContain('RUN node scripts/build.mjs');
    expect(instructions.some((i) => /npm install --global .*pnpm@\d+\.\d+\.\d+$/.test(i)), 'pnpm pinned').toBe(true);
    expect(imageSetting(stages, 'ENTRYPOINT')).toBe('["dockyard"]');
    // the entry point runs each process's build output (scripts/lib/build.mjs) with plain node
    const entry = readFileSync(join(REPO, 'docker', 'app', 'dockyard.sh'), 'utf8');
    // … with the node flags `npm start` gives it (the V8 heap flags)
    for (const out of OUTPUTS) {
      const flags = out.nodeFlags ? `; flags="${out.nodeFlags.join(' ')}"` : '';
      expect(entry).toMatch(new RegExp(`${out.name}\\) app=/app/${out.dist}/${out.file}${flags.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ;;`));
    }
    expect(entry).toContain('exec node --enable-source-maps $flags "$app"');
  });

  it('runs unprivileged, with a healthcheck', () => {
    const stages = dockerfileStages(service('migrate'));
    expect(imageSetting(stages, 'USER')).toBe('node');
    expect(imageSetting(stages, 'HEALTHCHECK')).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs"\]$/);
    expect(existsSync(join(REPO, 'docker', 'app', 'healthcheck.mjs'))).toBe(true);
  });
});
