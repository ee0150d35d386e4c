// Where the CPU went in a `--cpu-prof` profile (BENCH_PROFILE=1): self time per function and per
// package, as Markdown. Also a command: `node --import tsx bench/profile-summary.ts <file.cpuprofile>…`.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)', '(root)']);

/** The package (or Dockyard's own code) a script URL belongs to; undefined for Node's own and native code. */
function packageOf(url: string): string | undefined {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const m = /(apps\/(api|worker)|packages\/shared)\/(src|dist)/.exec(url);
  return m ? `dockyard ${m[1]}` : undefined;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '');
  const repo = url.indexOf('/work/main/');
  return repo >= 0 ? url.slice(repo + '/work/main/'.length) : url.replace(/^file:\/\//, '');
}

/** A bundle's source map: the copy bench/main.ts saved beside the profiles (`api.main.js.map`), else the bundle's own. */
const maps = new Map<string, SourceMap | null>();
function mapOf(url: string, profileDir: string): SourceMap | null {
  if (!maps.has(url)) {
    const file = url.replace(/^file:\/\//, '');
    const app = /apps\/(api|worker)\/dist\/main\.js$/.exec(file)?.[1];
    const candidates = [...(app ? [path.join(profileDir, `${app}.main.js.map`)] : []), `${file}.map`];
    const found = url.endsWith('.js') ? candidates.find((c) => existsSync(c)) : undefined;
    maps.set(url, found ? new SourceMap(JSON.parse(readFileSync(found, 'utf8'))) : null);
  }
  return maps.get(url)!;
}

/** `file:line` of a frame, in the TypeScript source when the bundle has a source map. */
function whereOf(frame: ProfileNode['callFrame'], profileDir: string): string {
  const entry = mapOf(frame.url, profileDir)?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource) return `${shortUrl(path.resolve(path.dirname(frame.url.replace(/^file:\/\//, '')), entry.originalSource))}:${entry.originalLine! + 1}`;
  return `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

/**
 * Self time (ms) per function, and per package charged to the nearest package on the stack (a
 * socket write is charged to pg, a log write to sonic-boom/pino…), busy time only (idle excluded).
 */
export function summarise(file: string, top = 15): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const dir = path.dirname(file);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaOf = (id: number): string => {
    let loading = false;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const { url } = byId.get(cur)!.callFrame;
      const pkg = packageOf(url);
      if (pkg) return pkg;
      if (url.startsWith('node:internal/modules')) loading = true;
    }
    if (loading) return 'module loading (start-up)';
    const { url, functionName } = byId.get(id)!.callFrame;
    return url ? `node ${url.replace(/^node:(internal\/)?/, '')}` : functionName || '(native)';
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  const ours = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  let busy = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    total += us;
    if (IDLE.has(frame.functionName)) continue;
    busy += us;
    const area = areaOf(id);
    add(areas, area, us);
    const name = frame.functionName || '(anonymous)';
    add(fns, frame.url ? `${name} — ${whereOf(frame, dir)}` : area === name ? name : `${name} ← ${area}`, us);
    // inclusive time of Dockyard's own functions on this (synchronous) stack, each counted once
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!packageOf(f.url)?.startsWith('dockyard')) continue;
      const key = `${f.functionName || '(anonymous)'} — ${whereOf(f, dir)}`;
      if (!seen.has(key)) add(ours, key, us);
      seen.add(key);
    }
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0)} ms`;
  const ranked = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `#### ${path.basename(file)}: ${ms(busy)} busy of ${ms(total)} sampled`,
    '',
    '| self time | share | package (nearest on the stack) |',
    '|---|---|---|',
    ...ranked(areas, 12).map(([k, v]) => `| ${ms(v)} | ${pct(v)} | ${k} |`),
    '',
    '| self time | share | function |',
    '|---|---|---|',
    ...ranked(fns, top).map(([k, v]) => `| ${ms(v)} | ${pct(v)} | \`${k.replaceAll('|', '\\|')}\` |`),
    '',
    '| total time | share | Dockyard function (with what it calls synchronously) |',
    '|---|---|---|',
    ...ranked(ours, 10).map(([k, v]) => `| ${ms(v)} | ${pct(v)} | \`${k}\` |`),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const file of process.argv.slice(2)) console.log(summarise(file));
}
