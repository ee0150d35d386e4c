import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useStack } from './helpers/use-stack.ts';

describe('dead-letter queue and replay', () => {
  const stack = useStack();

  it('dead-letters a job that has no template, then replays it once the template exists', async () => {
    const { workspace, jobId } = await stack.create('notemplate', 'needs-template');
    const failed = await stack.waitForStatus(workspace.id, 'failed');
    expect(failed.lastError).toMatch(/^no template for runtime notemplate/);

    const list = await stack.request('GET', '/v1/dead-letters');
    expect(list.status).toBe(200);
    const letter = list.body.items.find((d: any) => d.workspaceId === workspace.id);
    expect(letter).toMatchObject({
      jobId,
      step: 'seed',
      job: { name: 'provision', data: { workspaceId: workspace.id, generation: 1 }, action: { kind: 'provision' } },
      replayedAt: null,
    });
    expect(letter.error).toContain('no template for runtime notemplate');
    expect(letter.attempts).toHaveLength(1);
    expect(letter.attempts[0]).toMatchObject({ attempt: 1, step: 'seed' });

    // mirrored on the dead-letter queue, where the queue UI shows it
    const mirrored = await stack.queues.deadLetter.getJob(letter.id);
    expect(mirrored?.data).toMatchObject({ workspaceId: workspace.id, step: 'seed' });

    // the operator fixes the template folder and replays
    mkdirSync(join(stack.templatesDir, 'notemplate-default'));
    writeFileSync(join(stack.templatesDir, 'notemplate-default', 'config.yaml'), 'fixed: true\n');
    const replay = await stack.request('POST', `/v1/dead-letters/${letter.id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body.jobId).not.toBe(jobId);
    const online = await stack.waitForJob(workspace.id, replay.body.jobId, 'online');
    expect(online.status).toBe('online');
    expect(online.lastError).toBeNull();

    const after = (await stack.request('GET', '/v1/dead-letters')).body.items.find((d: any) => d.id === letter.id);
    expect(after.replayJobId).toBe(replay.body.jobId);
    expect(after.replayedAt).not.toBeNull();
    // a second replay of the same letter is refused
    const again = await stack.request('POST', `/v1/dead-letters/${letter.id}/replay`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
  });

  it('answers 404 for an unknown dead letter and 400 for a bad id', async () => {
    expect((await stack.request('POST', '/v1/dead-letters/00000000-0000-4000-8000-000000000000/replay')).status).toBe(404);
    expect((await stack.request('POST', '/v1/dead-letters/nope/replay')).status).toBe(400);
  });

  it('pages dead letters', async () => {
    for (let i = 0; i < 3; i++) await stack.create('noimage', `bad-${i}`);
    await new Promise((r) => setTimeout(r, 0));
    let items: any[] = [];
    for (let i = 0; i < 100 && items.length < 3; i++) {
      items = (await stack.request('GET', '/v1/dead-letters?limit=500')).body.items.filter((d: any) => d.error.includes('image not found'));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(items).toHaveLength(3);
    const first = await stack.request('GET', '/v1/dead-letters?limit=1');
    expect(first.body.items).toHaveLength(1);
    const second = await stack.request('GET', `/v1/dead-letters?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });
});
