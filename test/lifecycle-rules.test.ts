import { describe, expect, it } from 'vitest';
import { crashBackoffMs, desiredStateOf, mergeActions, TimingEnv, type Action, type ActionKind } from '@dockyard/shared';

/** The pure rules over the action kinds, table by table (every kind appears in every table). */
const provision: Action = { kind: 'provision', cause: 'api: create' };
const restart = (o: Partial<Extract<Action, { kind: 'restart' }>> = {}): Action => ({ kind: 'restart', cause: 'api: restart', applyTemplate: false, auto: false, ...o });
const stop: Action = { kind: 'stop', cause: 'api: stop' };
const remove = (purge = false): Action => ({ kind: 'remove', cause: 'api: delete', purge });
const move: Action = { kind: 'move', cause: 'drain: host-2' };

describe('mergeActions: a request meeting the action already waiting', () => {
  const cases: Array<[string, Action, Action, Action]> = [
    ['provision + provision → the newer', provision, { ...provision, cause: 'again' }, { ...provision, cause: 'again' }],
    ['provision + restart → the provision runs it', provision, restart(), provision],
    ['provision + stop → stop (latest intent)', provision, stop, stop],
    ['provision + remove → remove', provision, remove(), remove()],
    ['restart + provision → provision (latest intent)', restart(), provision, provision],
    ['restart + restart → one restart, template if either asked', restart({ applyTemplate: true }), restart({ reason: 'r2' }), restart({ applyTemplate: true, reason: 'r2' })],
    [
      'automatic restart + operator restart → the operator\'s cause, not automatic',
      restart({ auto: true, cause: 'auto-restart: container died' }),
      restart({ cause: 'api: restart' }),
      restart({ auto: false, cause: 'api: restart' }),
    ],
    [
      'operator restart + automatic restart → stays the operator\'s',
      restart({ cause: 'api: restart' }),
      restart({ auto: true, cause: 'auto-restart: container died' }),
      restart({ auto: false, cause: 'api: restart' }),
    ],
    ['restart + stop → stop', restart(), stop, stop],
    ['restart + remove → remove', restart(), remove(true), remove(true)],
    ['stop + provision → provision', stop, provision, provision],
    ['stop + restart → restart', stop, restart(), restart()],
    ['stop + stop → the newer', stop, { ...stop, cause: 'again' }, { ...stop, cause: 'again' }],
    ['stop + remove → remove', stop, remove(), remove()],
    ['remove + provision → remove beats all', remove(), provision, remove()],
    ['remove + restart → remove', remove(), restart(), remove()],
    ['remove + stop → remove', remove(), stop, remove()],
    ['remove + remove(purge) → one remove that purges', remove(), remove(true), remove(true)],
    ['remove(purge) + remove → still purges', remove(true), remove(), remove(true)],
    ['provision + move → move (a restart on the new host provisions it)', provision, move, move],
    ['restart + move → move (it ends with a restart on the new host)', restart(), move, move],
    ['stop + move → move (the desired state stays stopped)', stop, move, move],
    ['remove + move → remove', remove(), move, remove()],
    ['move + provision → provision (latest intent)', move, provision, provision],
    ['move + restart → the move, which restarts it on the new host', move, restart(), move],
    ['move + stop → stop', move, stop, stop],
    ['move + remove → remove', move, remove(), remove()],
    ['move + move → one move', move, { ...move, cause: 'again' }, move],
  ];
  it.each(cases)('%s', (_name, queued, incoming, expected) => {
    expect(mergeActions(queued, incoming)).toEqual(expected);
  });

  it('covers every pair of kinds', () => {
    const kinds: ActionKind[] = ['provision', 'restart', 'stop', 'remove', 'move'];
    const pairs = new Set(cases.map(([, q, i]) => `${q.kind}+${i.kind}`));
    for (const q of kinds) for (const i of kinds) expect(pairs, `${q}+${i}`).toContain(`${q}+${i}`);
  });
});

describe('desiredStateOf: what the workspace should be once the action ran', () => {
  it.each([
    ['provision', 'running'],
    ['restart', 'running'],
    ['stop', 'stopped'],
    ['remove', 'removed'],
    ['move', null], // unchanged: a move keeps what the workspace should be
  ] as const)('%s → %s', (kind, desired) => {
    expect(desiredStateOf[kind]).toBe(desired);
  });
});

describe('crashBackoffMs: Kubernetes-style crash-loop backoff', () => {
  const timing = TimingEnv.parse({}); // production defaults: base 10 s, cap 5 min
  it.each([
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [4, 80_000],
    [5, 160_000],
    [6, 300_000],
    [7, 300_000],
    [100, 300_000],
  ])('after %i restarts waits %i ms', (restarts, ms) => {
    expect(crashBackoffMs(restarts, timing)).toBe(ms);
  });

  it('follows its knobs', () => {
    const t = { ...timing, CRASH_BACKOFF_BASE_MS: 300, CRASH_BACKOFF_MAX_MS: 1_000 };
    expect([0, 1, 2, 3, 4].map((n) => crashBackoffMs(n, t))).toEqual([0, 300, 600, 1_000, 1_000]);
  });
});
