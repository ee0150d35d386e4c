// The `dockyard` command line: `npm run dockyard -- <command>` from the checkout.
import { parseArgs } from 'node:util';
import { makeDockyardClient, type DockyardClient } from './client.ts';
import { DockyardError } from './errors.ts';
import { resolveTarget } from './cli-config.ts';
import { table, transitionLine } from './cli-format.ts';

const USAGE = `usage: dockyard <command> [options]   (--json: machine-readable output)
  ls [--status S] [--runtime R] [--host H] [--limit N]   list workspaces
  get <id>                                             one workspace
  create <name> --runtime R [--env KEY=VALUE]...       create a workspace
  restart <id> [--template] [--reason TEXT]            restart (--template: re-apply the config template)
  stop <id>                                            stop
  rm <id> [--purge]                                    remove (--purge: its config volume too)
  events [<id>] [--follow] [--limit N]                 a workspace's transitions; --follow: and the next ones (all workspaces without <id>)
  dead-letters [--limit N]                             failed jobs
  replay <dead-letter-id>                              run a dead letter's job again
Reads DOCKYARD_URL and DOCKYARD_TOKEN; else npm start's http://127.0.0.1:$PORT and .dockyard/api-token.`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  status: { type: 'string' },
  runtime: { type: 'string' },
  host: { type: 'string' },
  limit: { type: 'string' },
  env: { type: 'string', multiple: true },
  template: { type: 'boolean' },
  reason: { type: 'string' },
  purge: { type: 'boolean' },
  follow: { type: 'boolean', short: 'f' },
} as const;

class UsageError extends Error {}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
const write = (text: string): void => void process.stdout.write(`${text}\n`);
const limitOf = (v: Values) => (v.limit === undefined ? undefined : Number(v.limit));
const need = (arg: string | undefined, what: string) => {
  if (!arg) throw new UsageError(`missing ${what}`);
  return arg;
};

async function run(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [command, arg] = positionals;
  if (v.help || !command) return write(USAGE);
  const client = makeDockyardClient(resolveTarget(process.env));
  const out = (json: unknown, human: () => string) => write(v.json ? JSON.stringify(json, null, 2) : human());
  const accepted = (r: { workspace: { id: string; status: string }; jobId: string }) => `${r.workspace.id}  ${r.workspace.status}  job ${r.jobId}`;

  switch (command) {
    case 'ls': {
      const page = await client.listWorkspaces({ status: v.status, runtime: v.runtime, host: v.host, limit: limitOf(v) });
      return out(page, () =>
        table(['ID', 'NAME', 'RUNTIME', 'HOST', 'STATUS', 'STEP', 'RESTARTS', 'LAST ERROR'], page.items.map((w) => [w.id, w.name, w.runtime, w.host, w.status, w.step, w.restartCount, w.lastError?.slice(0, 60)])),
      );
    }
    case 'get': {
      const w = await client.getWorkspace(need(arg, 'workspace id'));
      return out(w, () => table(['FIELD', 'VALUE'], Object.entries(w).map(([k, val]) => [k, typeof val === 'object' && val !== null ? JSON.stringify(val) : (val as string)])));
    }
    case 'create': {
      const env = Object.fromEntries((v.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const r = await client.createWorkspace({ name: need(arg, 'name'), runtime: need(v.runtime, '--runtime'), ...(v.env ? { env } : {}) });
      return out(r, () => accepted(r));
    }
    case 'restart': {
      const r = await client.restartWorkspace(need(arg, 'workspace id'), { ...(v.template ? { applyTemplate: true } : {}), ...(v.reason ? { reason: v.reason } : {}) });
      return out(r, () => accepted(r));
    }
    case 'stop': {
      const r = await client.stopWorkspace(need(arg, 'workspace id'));
      return out(r, () => accepted(r));
    }
    case 'rm': {
      const r = await client.removeWorkspace(need(arg, 'workspace id'), { purge: v.purge });
      return out(r, () => accepted(r));
    }
    case 'events':
      return v.follow ? follow(client, arg, v.json) : events(client, need(arg, 'workspace id (or --follow)'), v);
    case 'dead-letters': {
      const page = await client.listDeadLetters({ limit: limitOf(v) });
      return out(page, () => table(['ID', 'WORKSPACE', 'JOB', 'STEP', 'AT', 'REPLAYED', 'ERROR'], page.items.map((d) => [d.id, d.workspaceId, d.job.name, d.step, d.at, d.replayJobId, d.error.slice(0, 60)])));
    }
    case 'replay': {
      const r = await client.replayDeadLetter(need(arg, 'dead letter id'));
      return out(r, () => `replayed as job ${r.jobId}`);
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function events(client: DockyardClient, id: string, v: Values) {
  const { items } = await client.listEvents(id, limitOf(v));
  const oldestFirst = items.reverse();
  write(v.json ? JSON.stringify(oldestFirst, null, 2) : oldestFirst.map(transitionLine).join('\n'));
}

/** The watch stream: a workspace's whole history then its next transitions (from cursor 0-0), or every workspace's from now on. */
async function follow(client: DockyardClient, id: string | undefined, json: boolean | undefined) {
  for await (const e of client.watch(id ? { workspaceId: id } : {}, id ? '0-0' : undefined)) {
    write(json ? JSON.stringify(e) : transitionLine(id ? { ...e, workspaceId: undefined } : e));
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`dockyard: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(err instanceof DockyardError ? `dockyard: ${err.code}: ${err.message}\n` : `dockyard: ${(err as Error).message}\n`);
  process.exit(1);
});
