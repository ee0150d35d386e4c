import type Docker from 'dockerode';
import { dockerFor } from './docker.ts';
import type { HostEngine } from './engines.ts';

export interface EngineEvent {
  host: string;
  action: string;
  workspaceId: string;
  /** ms since the epoch, from the engine's own clock (timeNano) */
  at: number;
}

/** Collect start/die events of an installation's workspace containers on one engine; returns a stop function. */
export async function followEvents(docker: Docker, host: string, installationId: string, into: EngineEvent[]): Promise<() => void> {
  const filters = { type: ['container'], event: ['start', 'die'], label: [`dockyard.installation=${installationId}`] };
  const stream = (await docker.getEvents({ filters: JSON.stringify(filters) })) as NodeJS.ReadableStream & { destroy(): void };
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const e = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      const attrs = e.Actor?.Attributes ?? {};
      if (attrs['dockyard.role']) continue;
      into.push({ host, action: e.Action, workspaceId: attrs['dockyard.workspace-id'], at: e.timeNano / 1e6 });
    }
  });
  stream.on('error', () => undefined);
  return () => stream.destroy();
}

/**
 * Sample `docker ps` on every engine every 100 ms and keep the most running containers seen
 * for any one workspace of the installation; `stop()` ends the sampling and returns that maximum.
 */
export function sampleCopies(engines: HostEngine[], installationId: string): { stop(): Promise<number> } {
  let max = 0;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const counts = new Map<string, number>();
      for (const e of engines) {
        const list = await dockerFor(e.host)
          .listContainers({ filters: { label: [`dockyard.installation=${installationId}`] } })
          .catch(() => []);
        for (const c of list.filter((c) => !c.Labels['dockyard.role'])) {
          const id = c.Labels['dockyard.workspace-id']!;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
      max = Math.max(max, ...counts.values());
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return max;
    },
  };
}
