import type Docker from 'dockerode';
import { INSTALLATION_LABEL, ROLE_LABEL, WORKSPACE_ID_LABEL } from '@dockyard/shared';
import { dockerCall } from './errors.ts';

export interface DockerEvent {
  action: string;
  workspaceId: string | undefined;
  role: string | undefined;
  /** the container's installation label (undefined on one an older Dockyard made) */
  installation: string | undefined;
  exitCode: string | undefined;
  containerName: string | undefined;
  timeNano: number;
}

/** Subscribe to die/oom/health events of the containers carrying `labels`, since a Docker timestamp. */
export async function subscribeContainerEvents(
  docker: Docker,
  labels: string[],
  since: string,
  signal: AbortSignal,
): Promise<AsyncIterable<DockerEvent>> {
  const filters = { type: ['container'], event: ['die', 'oom', 'health_status'], label: labels };
  const subscribe = (docker.getEvents.bind(docker) as (o: object) => Promise<NodeJS.ReadableStream>)({
    since,
    filters: JSON.stringify(filters),
  });
  // Closing must not wait for an engine that is slow to answer the subscription.
  const aborted = new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(new Error('events subscription aborted')), { once: true }),
  );
  aborted.catch(() => undefined);
  subscribe.then((late) => signal.aborted && (late as unknown as { destroy(): void }).destroy()).catch(() => undefined);
  const stream = (await dockerCall('subscribe to Docker events', () => Promise.race([subscribe, aborted]))) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  if (signal.aborted) stream.destroy();
  signal.addEventListener('abort', () => stream.destroy(), { once: true });
  return parseEventStream(stream);
}

/** Docker's event stream is JSON objects, one per line (possibly split across chunks). */
async function* parseEventStream(stream: NodeJS.ReadableStream): AsyncIterable<DockerEvent> {
  let buffer = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    buffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      const e = JSON.parse(line) as { Action?: string; status?: string; timeNano?: number; time?: number; Actor?: { Attributes?: Record<string, string> } };
      const attrs = e.Actor?.Attributes ?? {};
      yield {
        action: e.Action ?? e.status ?? '',
        workspaceId: attrs[WORKSPACE_ID_LABEL],
        role: attrs[ROLE_LABEL],
        installation: attrs[INSTALLATION_LABEL],
        exitCode: attrs.exitCode,
        containerName: attrs.name,
        timeNano: e.timeNano ?? (e.time ?? 0) * 1e9,
      };
    }
  }
}
