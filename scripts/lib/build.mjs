// The production build: each process bundled by esbuild into a `dist/` folder, run with plain `node`.
// @dockyard/shared is bundled in; every other package stays an import, resolved at run time from the
// app's own node_modules (a production install has only runtime dependencies). Used by `npm run
// build`, by `npm start` (which builds first when the sources changed) and by the image's build stage.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The API's and the worker's V8 heap settings (docs/BENCHMARKS.md, P5). Under load V8 grows the
 * young generation to two 16 MB semi-spaces (32 MB of RSS that stays) and lets the old generation
 * grow to several times its live set (~35 MB) between full collections. 4 MB semi-spaces cost
 * ~5-10 % more GC time; a 256 MB old-space ceiling makes V8 grow the heap in smaller steps (neither
 * process holds large data: pages are capped at 500 rows, a job's data at its checkpoint). The
 * young generation starts at its 4 MB: from V8's 1 MB start it grows only after a while, and a
 * burst of requests or jobs meanwhile scavenges about twice as often (47–57 against 82 in the API
 * during P3). docker/app/dockyard.sh passes the same flags.
 */
export const NODE_HEAP_FLAGS = ['--min-semi-space-size=4', '--max-semi-space-size=4', '--max-old-space-size=256'];

/** What a build makes: entry point → bundle (plus files copied beside it), and the node flags it runs with. */
export const OUTPUTS = [
  // the admin pages' static scripts, read from `./assets/` beside the module (apps/api/src/admin/assets.ts)
  {
    name: 'api',
    entry: 'apps/api/src/main.ts',
    dist: 'apps/api/dist',
    file: 'main.js',
    copy: [['apps/api/src/admin/assets', 'assets']],
    nodeFlags: NODE_HEAP_FLAGS,
  },
  { name: 'worker', entry: 'apps/worker/src/main.ts', dist: 'apps/worker/dist', file: 'main.js', nodeFlags: NODE_HEAP_FLAGS },
  // migrate.ts reads its .sql files from `./migrations/` beside the module that runs it
  {
    name: 'migrate',
    entry: 'packages/shared/src/db/migrate-cli.ts',
    dist: 'packages/shared/dist',
    file: 'migrate.js',
    copy: [['packages/shared/src/db/migrations', 'migrations']],
  },
];

/** The command that runs a built process (`node` itself: no pnpm, no tsx in its command line). */
export function builtCommand(repoDir, name) {
  const out = OUTPUTS.find((o) => o.name === name);
  if (!out) throw new Error(`no build output named ${name}`);
  return { cmd: process.execPath, args: ['--enable-source-maps', ...(out.nodeFlags ?? []), path.join(repoDir, out.dist, out.file)] };
}

const INPUT_DIRS = ['apps/api/src', 'apps/worker/src', 'packages/shared/src'];
const INPUT_FILES = ['apps/api/package.json', 'apps/worker/package.json', 'packages/shared/package.json'];
const STAMP = '.build-inputs';

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/** A hash of every input of the build (sources, manifests, this script): cheap, ~1 ms per 100 files. */
export function inputsHash(repoDir) {
  const files = [
    ...INPUT_DIRS.flatMap((d) => filesUnder(path.join(repoDir, d))),
    ...INPUT_FILES.map((f) => path.join(repoDir, f)),
    fileURLToPath(import.meta.url),
  ].sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${path.relative(repoDir, file)}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** True when every output exists and was built from the current inputs. */
export function isBuildCurrent(repoDir, hash = inputsHash(repoDir)) {
  return OUTPUTS.every((o) => {
    const stamp = path.join(repoDir, o.dist, STAMP);
    return existsSync(path.join(repoDir, o.dist, o.file)) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
  });
}

/** Bare imports stay imports, except the workspace's own packages (TypeScript sources): bundled. */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@dockyard/') ? undefined : { path: args.path, external: true }));
  },
};

/**
 * Replace a file in one step (write beside it, rename over it): a process starting meanwhile reads
 * the old file or the new one, never half of one, and two builds at once (npm start twice) write
 * the same bytes.
 */
function writeAtomically(file, contents) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/** Make `to` hold exactly the files of `from` (one level: the migrations). */
function syncFolder(from, to) {
  const files = readdirSync(from);
  for (const f of files) writeAtomically(path.join(to, f), readFileSync(path.join(from, f)));
  for (const f of readdirSync(to)) if (!files.includes(f)) rmSync(path.join(to, f), { force: true });
}

/** Build every output now. */
export async function build(repoDir) {
  const { build: esbuild } = await import('esbuild');
  const hash = inputsHash(repoDir);
  for (const o of OUTPUTS) {
    const dist = path.join(repoDir, o.dist);
    const { outputFiles } = await esbuild({
      absWorkingDir: repoDir,
      entryPoints: [path.join(repoDir, o.entry)],
      outfile: path.join(dist, o.file),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      legalComments: 'none',
      logLevel: 'warning',
      plugins: [externalPackages],
      write: false,
    });
    for (const f of outputFiles) writeAtomically(f.path, f.contents);
    for (const [from, to] of o.copy ?? []) syncFolder(path.join(repoDir, from), path.join(dist, to));
    writeAtomically(path.join(dist, STAMP), hash);
  }
  return hash;
}

/** Build when the sources changed since the last build (or there is none); says which. */
export async function ensureBuilt(repoDir, say = console.log) {
  const hash = inputsHash(repoDir);
  if (isBuildCurrent(repoDir, hash)) return false;
  const t0 = Date.now();
  await build(repoDir);
  say(`built ${OUTPUTS.map((o) => path.join(o.dist, o.file)).join(', ')} in ${Date.now() - t0} ms`);
  return true;
}
