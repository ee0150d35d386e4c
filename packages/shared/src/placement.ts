import { listHosts, lockPlacements, type HostWithUsage } from './db/hosts.ts';
import type { Queryable } from './db/pool.ts';

export const PLACEMENT_STRATEGIES = ['spread', 'binpack'] as const;
export type PlacementStrategy = (typeof PLACEMENT_STRATEGIES)[number];

export interface PlacementRequest {
  /** the runtime's hostLabels: a host must carry each of them */
  hostLabels?: Record<string, string>;
  /** a host named in the create request */
  pinned?: string;
  strategy: PlacementStrategy;
}

/** Why a host cannot take the workspace, in a few words (undefined: it can). */
function unfit(h: HostWithUsage, req: PlacementRequest): string | undefined {
  if (h.state !== 'ready') return h.state;
  const missing = Object.entries(req.hostLabels ?? {}).filter(([k, v]) => h.labels[k] !== v);
  if (missing.length) return `lacks ${missing.map(([k, v]) => `${k}=${v}`).join(',')}`;
  if (h.used >= h.capacity) return `full (${h.used}/${h.capacity})`;
  return undefined;
}

/** Why no host fits, in words for the event log. */
export function whyUnplaced(hosts: HostWithUsage[], req: PlacementRequest): string {
  const considered = req.pinned ? hosts.filter((h) => h.name === req.pinned) : hosts;
  if (considered.length === 0) return req.pinned ? `waiting for host ${req.pinned}: it has not registered` : 'waiting for a host: none has registered yet';
  const reasons = considered.map((h) => `${h.name} ${unfit(h, req) ?? 'fits'}`).join(', ');
  return `waiting for ${req.pinned ? `host ${req.pinned}` : 'a host'}: ${reasons}`;
}

/**
 * The hosts that may take a workspace, best first: ready, with free capacity, carrying the
 * runtime's labels (and the pinned one only, if any). `spread` prefers the emptiest host
 * (fewest workspaces for its capacity), `binpack` the fullest one that still has room.
 */
export function rankHosts(hosts: HostWithUsage[], req: PlacementRequest): HostWithUsage[] {
  const fits = hosts.filter((h) => (!req.pinned || h.name === req.pinned) && unfit(h, req) === undefined);
  const load = (h: HostWithUsage) => h.used / h.capacity;
  const order = req.strategy === 'spread' ? (a: HostWithUsage, b: HostWithUsage) => load(a) - load(b) : (a: HostWithUsage, b: HostWithUsage) => load(b) - load(a);
  return fits.sort((a, b) => order(a, b) || a.name.localeCompare(b.name));
}

/**
 * Choose a host inside the caller's transaction. Placements take turns (a transaction-scoped
 * advisory lock, held until the workspace row commits), so each sees the ones before it:
 * `spread` stays even and no host is filled past its capacity by racing creates.
 */
export async function placeOn(q: Queryable, req: PlacementRequest): Promise<{ host: string } | { waiting: string }> {
  await lockPlacements(q);
  const hosts = await listHosts(q);
  const best = rankHosts(hosts, req)[0];
  return best ? { host: best.name } : { waiting: whyUnplaced(hosts, req) };
}
