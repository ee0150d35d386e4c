import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES, makeDockyardClient, DockyardError } from '@dockyard/client';
import { useStack } from './helpers/use-stack.ts';
import { REPO } from './helpers/stack.ts';
import { waitFor } from './helpers/wait.ts';

/** The client and the `dockyard` CLI (issue 15, part 5), against a real stack. */
describe('the dockyard CLI and client', () => {
  const stack = useStack();
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

  const env = () => ({ ...process.env, DOCKYARD_URL: stack.url, DOCKYARD_TOKEN: stack.token });
  /** Start the CLI; its output as it arrives, and its end. */
  const start = (args: string[], command = [process.execPath, '--import', 'tsx', 'packages/client/src/cli.ts']) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd: REPO, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d) => (out.stdout += d));
    child.stderr!.on('data', (d) => (out.stderr += d));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, ...out })));
    return { child, out, done };
  };
  const cli = (...args: string[]) => start(args).done;
  const cliJson = async (...args: string[]) => {
    const r = await cli(...args, '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('calls only routes /openapi.json declares', async () => {
    const doc = (await stack.request('GET', '/openapi.json')).body;
    for (const [name, route] of Object.entries(ROUTES)) {
      const [method, path] = route.split(' ') as [string, string];
      expect(doc.paths[path]?.[method.toLowerCase()], `${name}: ${route}`).toBeDefined();
    }
  });

  it('throws a typed error carrying the contract code', async () => {
    const client = makeDockyardClient({ url: stack.url, token: stack.token });
    const err = await client.getWorkspace(randomUUID()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockyardError);
    expect([(err as DockyardError).code, (err as DockyardError).status]).toEqual(['NOT_FOUND', 404]);
    const bad = await makeDockyardClient({ url: stack.url, token: 'x'.repeat(40) }).listWorkspaces().catch((e: unknown) => e);
    expect((bad as DockyardError).code).toBe('UNAUTHORIZED');
  });

  it('drives a workspace through create → restart → stop → rm, and events --follow prints each transition as it happens', async () => {
    const created = await cliJson('create', 'cli-demo', '--runtime', 'busybox');
    const id = created.workspace.id as string;
    const follow = start(['events', id, '--follow']);
    const printed = () => follow.out.stdout.split('\n').filter(Boolean);
    const printedTo = (to: string, n = 1) => printed().filter((l) => l.includes(`→ ${to}`)).length >= n || undefined;
    await waitFor('online', async () => (await cliJson('get', id)).status === 'online' || undefined);
    await waitFor('follow to print online', async () => printedTo('online'));

    const restart = await cliJson('restart', id, '--template');
    expect(restart.jobId).toEqual(expect.any(String));
    await stack.waitForJob(id, restart.jobId, 'online');
    // the restart's transitions reach the follower before the next command is run
    await waitFor('follow to print the restart', async () => printedTo('online', 2));

    const stop = await cli('stop', id);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(id);
    await waitFor('paused', async () => (await cliJson('get', id)).status === 'paused' || undefined);
    await waitFor('follow to print paused', async () => printedTo('paused'));

    const rm = await cli('rm', id, '--purge');
    expect(rm.code, rm.stderr).toBe(0);
    await waitFor('removed', async () => (await cliJson('get', id)).status === 'removed' || undefined);
    await stack.waitForIdle(id);

    const log = await stack.events(id);
    await waitFor('follow to print every event', async () => printed().length >= log.length || undefined);
    expect(printed()).toEqual(log.map((e: any) => [e.at, `${e.from ?? '∅'} → ${e.to}`, e.cause, e.message ?? ''].join('  ').trimEnd()));
    follow.child.kill('SIGTERM');

    const history = await cliJson('events', id);
    expect(history.map((e: any) => e.to)).toEqual(log.map((e: any) => e.to));
  });

  it('lists as a table and as JSON, shows dead letters, and reports errors with their code', async () => {
    await stack.create('busybox', 'cli-listed');
    const ls = await cli('ls');
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+RUNTIME\s+HOST\s+STATUS/);
    expect(ls.stdout).toContain('cli-listed');
    expect((await cliJson('ls')).items.map((w: any) => w.name)).toContain('cli-listed');

    const doomed = (await stack.create('notemplate', 'cli-doomed')).workspace.id;
    await stack.waitForStatus(doomed, 'failed', 60_000);
    const letters = await cliJson('dead-letters');
    const letter = letters.items.find((d: any) => d.workspaceId === doomed);
    expect(letter).toBeDefined();
    expect((await cli('dead-letters')).stdout).toContain(letter.id);
    const replay = await cli('replay', letter.id);
    expect([replay.code, replay.stdout]).toEqual([0, expect.stringMatching(/^replayed as job /)]);

    const missing = await cli('get', randomUUID());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND/);
    expect((await cli('frobnicate')).code).toBe(2);
  });

  it('runs as npm run dockyard -- ls from the checkout', async () => {
    const r = await start(['run', '--silent', 'dockyard', '--', 'ls', '--json'], ['npm']).done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).items.length).toBeGreaterThan(0);
  });
});
