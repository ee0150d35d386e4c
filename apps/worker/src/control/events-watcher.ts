import type { AnyRedis } from '@dockyard/shared';
import { messageOf, requestAutoRestart, type ActionDeps } from '@dockyard/shared';
import type { DockerEvent, WorkspaceDocker } from '../docker/workspace-docker.ts';
import { countAutoRestart, type WorkerMetrics } from '../metrics.ts';
import { sleep } from './leader.ts';
import type { HeldWorkspaces } from '../jobs/held.ts';

export interface WatcherDeps extends ActionDeps {
  docker: WorkspaceDocker;
  redis: AnyRedis;
  metrics: WorkerMetrics;
  prefix: string;
  installationId: string;
  /** the host whose engine this watcher follows */
  host: string;
  /** workspaces a job of this process holds: their deaths are the job's (see HeldWorkspaces) */
  held?: Pick<HeldWorkspaces, 'has'>;
}

const RECONNECT_MAX_MS = 10_000;
/**
 * The position is stored at most this often (and when the stream ends), not after every event:
 * a new leader resumes from at most this much earlier and hears those events again, which
 * changes nothing (a death already handled finds its restart queued or done, or its container
 * started since).
 */
const POSITION_SAVE_MS = 1_000;

/** What an event means for auto-restart, or undefined when it means nothing. */
function causeOf(e: DockerEvent): { cause: string; detail?: string } | undefined {
  if (!e.workspaceId || e.role) return undefined; // helper containers are Dockyard's own
  if (e.action === 'die') return { cause: 'auto-restart: container died', detail: `exit code ${e.exitCode ?? '?'}` };
  if (e.action === 'oom') return { cause: 'auto-restart: container OOM-killed' };
  if (e.action.startsWith('health_status') && e.action.includes('unhealthy')) return { cause: 'auto-restart: container unhealthy' };
  return undefined;
}

/** Docker's `since` takes "seconds.nanoseconds". */
const toSince = (timeNano: number) => `${Math.floor(timeNano / 1e9)}.${String(Math.floor(timeNano % 1e9)).padStart(9, '0')}`;

/**
 * The leader's Docker events loop: a managed container dying while its workspace
 * should run becomes an auto-restart. On reconnect it resumes from the last event
 * seen (kept in Redis, so a new leader resumes too) and misses nothing.
 */
export async function watchContainerEvents(deps: WatcherDeps, signal: AbortSignal): Promise<void> {
  const sinceKey = `${deps.prefix}:watcher:since:${deps.host}`;
  let since = await deps.redis.get(sinceKey);
  if (!since) {
    since = toSince(Date.now() * 1e6);
    await deps.redis.set(sinceKey, since);
  }
  let failures = 0;
  let saved = since;
  let saving: NodeJS.Timeout | undefined;
  const save = async () => {
    clearTimeout(saving);
    saving = undefined;
    if (since === saved) return;
    const position = since!;
    await deps.redis.set(sinceKey, position).then(
      () => (saved = position),
      (err) => deps.log.warn({ err: messageOf(err) }, 'could not store the events position; it is stored with the next one'),
    );
  };
  deps.log.info({ since }, 'docker events watcher started');
  while (!signal.aborted) {
    try {
      const events = await deps.docker.containerEvents(since, signal);
      failures = 0;
      for await (const event of events) {
        await handleEvent(deps, event);
        since = toSince(event.timeNano + 1);
        saving ??= setTimeout(() => void save(), POSITION_SAVE_MS);
      }
    } catch (err) {
      if (signal.aborted) break;
      failures++;
      deps.log.warn({ err: messageOf(err), failures }, 'docker events stream failed; reconnecting');
    } finally {
      await save();
    }
    if (!signal.aborted) await sleep(Math.min(250 * 2 ** failures, RECONNECT_MAX_MS), signal);
  }
  deps.log.info('docker events watcher stopped');
}

async function handleEvent(deps: WatcherDeps, event: DockerEvent): Promise<void> {
  // another installation's container is none of ours; an unlabelled one counts only if its
  // workspace is ours (requestAutoRestart finds no row otherwise)
  if (event.installation !== undefined && event.installation !== deps.installationId) return;
  const what = causeOf(event);
  if (!what) return;
  const log = deps.log.child({ workspaceId: event.workspaceId, action: event.action });
  if (deps.held?.has(event.workspaceId!)) {
    log.debug('a job of this process holds the workspace: it re-checks the container when it lets go');
    return;
  }
  // Asked only when the report would restart (not for a job's own stop): a container started
  // again after this death (e.g. by Dockyard's own restart) makes this event history; a later
  // death of the new run has an event of its own.
  const stillDead = async () => {
    const state = await deps.docker.inspectContainer(event.workspaceId!).catch(() => undefined);
    return !(state && Date.parse(state.startedAt) * 1e6 > event.timeNano);
  };
  const result = await requestAutoRestart(deps, event.workspaceId!, { ...what, host: deps.host }, { stillDead });
  countAutoRestart(deps.metrics, result, 'docker-events');
  if (result.kind === 'accepted') {
    log.info({ jobId: result.jobId, delayMs: result.delayMs, coalesced: result.coalesced }, 'auto-restart requested');
  } else if (result.kind === 'crash-loop') {
    log.warn({ reason: result.reason }, 'crash loop: auto-restart stopped');
  } else {
    log.debug({ result }, 'container event needs no restart');
  }
}
