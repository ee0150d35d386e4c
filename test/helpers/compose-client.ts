// The compose client of the compose test: Compose v2, which users run. Debian 12 packages only
// docker-compose 1.29, which refuses the top-level `name:`; Debian 13 packages Compose v2
// (`docker-compose` 2.26, one Go binary needing only libc ≥ 2.34, which Debian 12 has). So, unless
// the machine already has a Compose v2, the package is fetched with `apt-get download` through a
// private package list of Debian 13 (the system's own apt sources and state are left alone; the
// archive's signature is checked with Debian's keyring) and its binary kept in the machine's cache.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_DIR } from './compose-base.ts';

export interface ComposeClient {
  cmd: string;
  /** the arguments before compose's own (`compose` for the docker CLI's plugin) */
  args: string[];
  version: string;
}

const SUITE = 'trixie';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
/** `!override` in the test's override file needs 2.24 or later */
const usable = (version: string) => {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 24);
};

function versionOf(cmd: string, args: string[]): string | null {
  const run = spawnSync(cmd, [...args, 'version', '--short'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : null;
}

function must(cmd: string, args: string[], what: string): string {
  const run = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (run.status !== 0) throw new Error(`${what}: ${cmd} ${args.join(' ')} exited ${run.status}: ${run.stderr || run.error?.message}`);
  return run.stdout;
}

/** The Debian archive this machine's apt uses for its own release's main (its URI, from apt-cache policy). */
function debianArchive(): string {
  const find = () => /^\s*\d+ (\S+) [a-z]+\/main /m.exec(must('apt-cache', ['policy'], 'reading apt sources'))?.[1];
  let uri = find();
  if (!uri) {
    must('apt-get', ['update', '-q'], 'apt-get update');
    uri = find();
  }
  if (!uri) throw new Error("no Debian archive in this machine's apt sources: cannot fetch Compose v2");
  return uri;
}

/** Download Debian 13's docker-compose package and keep its binary in the cache; returns its path. */
function fetchFromDebian(dir: string): string {
  const work = mkdtempSync(join(tmpdir(), 'dockyard-compose-apt-'));
  try {
    for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(work, d), { recursive: true });
    writeFileSync(join(work, 'sources.list'), `deb [signed-by=${KEYRING}] ${debianArchive()} ${SUITE} main\n`);
    const apt = [
      '-o', `Dir::Etc::SourceList=${join(work, 'sources.list')}`, '-o', 'Dir::Etc::SourceParts=-',
      '-o', `Dir::State::Lists=${join(work, 'lists')}`, '-o', `Dir::Cache=${join(work, 'cache')}`,
      '-o', 'APT::Sandbox::User=root',
    ];
    must('apt-get', [...apt, 'update', '-q'], `reading Debian ${SUITE}'s package list`);
    must('sh', ['-c', `cd '${work}' && apt-get "$@" download docker-compose`, 'sh', ...apt], `downloading ${SUITE}'s docker-compose`);
    const deb = readdirSync(work).find((f) => /^docker-compose_.+\.deb$/.test(f));
    if (!deb) throw new Error(`apt-get download left no docker-compose package in ${work}`);
    must('dpkg-deb', ['-x', join(work, deb), join(work, 'root')], `unpacking ${deb}`);
    const version = /^docker-compose_([^_]+)_/.exec(deb)![1]!;
    const bin = join(dir, `docker-compose-${version}`);
    copyFileSync(join(work, 'root', 'usr', 'libexec', 'docker', 'cli-plugins', 'docker-compose'), `${bin}.tmp`);
    chmodSync(`${bin}.tmp`, 0o755);
    renameSync(`${bin}.tmp`, bin);
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The best Compose v2 to be had: the machine's (docker compose, docker-compose), else Debian 13's, cached. */
export function ensureComposeV2(): ComposeClient {
  for (const [cmd, args] of [['docker', ['compose']], ['docker-compose', []]] as const) {
    const version = versionOf(cmd, [...args]);
    if (version && usable(version)) return { cmd, args: [...args], version };
  }
  const dir = join(CACHE_DIR, 'compose');
  mkdirSync(dir, { recursive: true });
  const cached = readdirSync(dir).filter((f) => /^docker-compose-\d[^/]*$/.test(f)).sort().at(-1);
  const cmd = cached ? join(dir, cached) : fetchFromDebian(dir);
  const version = versionOf(cmd, []);
  if (!version || !usable(version)) throw new Error(`${cmd} is not a usable Compose v2 (version ${version ?? 'unknown'})`);
  return { cmd, args: [], version };
}

/** Run compose (asynchronously: a build takes minutes); resolves with its stdout, throws with its output's tail. */
export async function runCompose(client: ComposeClient, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<string> {
  const child = spawn(client.cmd, [...client.args, ...args], { env, timeout: timeoutMs, killSignal: 'SIGTERM' });
  let stdout = '';
  let output = '';
  child.stdout.on('data', (d) => ((stdout += d), (output += d)));
  child.stderr.on('data', (d) => (output += d));
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  if (code !== 0) {
    const tail = output.split('\n').slice(-40).join('\n');
    throw new Error(`compose ${args.join(' ')} exited ${code ?? signal}:\n${tail}`);
  }
  return stdout;
}
