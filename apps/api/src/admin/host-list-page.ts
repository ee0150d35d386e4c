import { ACTION_KINDS, queueNameOf, type HostWithUsage } from '@dockyard/shared';
import { isHostUp } from '../host-health.ts';
import { QUEUE_UI_PATH } from './queue-board.ts';
import { listUrl } from './workspace-list-page.ts';
import { HOST_STATE_COLOURS, html, page, statusBadge, when, type Html } from './html.ts';

export interface HostsView {
  hosts: HostWithUsage[];
  /** HOST_LOST_AFTER_MS: a host silent for longer is about to be marked lost */
  lostAfterMs: number;
  now: number;
}

/** A duration in the largest unit that keeps it short: `12 s`, `3 min`, `2 h`, `5 d`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} d`;
}

const queueUiQueueUrl = (queueName: string) => `${QUEUE_UI_PATH}/queue/${encodeURIComponent(queueName)}`;

function heartbeat(h: HostWithUsage, v: HostsView): Html {
  if (!h.last_heartbeat) return html`<span class="muted">never reported</span>`;
  const silent = h.state !== 'lost' && !isHostUp(h, v.lostAfterMs, v.now);
  return html`${when(h.last_heartbeat)}<br><span class="${silent ? 'err' : 'muted'}">${duration(v.now - h.last_heartbeat.getTime())} ago${silent ? ' (silent)' : ''}</span>`;
}

function row(h: HostWithUsage, v: HostsView): Html {
  const labels = Object.entries(h.labels);
  return html`<tr id="host-${h.name}" data-host="${h.name}">
<td><strong>${h.name}</strong></td>
<td>${statusBadge(h.state, HOST_STATE_COLOURS)}</td>
<td class="capacity">${h.capacity}</td>
<td class="used">${h.used}</td>
<td>${heartbeat(h, v)}</td>
<td>${labels.length ? labels.map(([k, val]) => html`<code>${k}=${val}</code> `) : html`<span class="muted">none</span>`}</td>
<td><a href="${listUrl({ host: h.name, limit: 50 })}">workspaces</a> · queues: ${ACTION_KINDS.map(
    (kind, i) => html`${i ? ' · ' : ''}<a href="${queueUiQueueUrl(queueNameOf(kind, h.name))}">${kind}</a>`,
  )}</td>
</tr>`;
}

/** The fleet: one row per registered host with its state, capacity, use, heartbeat, labels and links. */
export function renderHostsPage(v: HostsView): string {
  const used = v.hosts.reduce((n, h) => n + h.used, 0);
  const capacity = v.hosts.reduce((n, h) => n + h.capacity, 0);
  const summary = html`<p>${v.hosts.length} hosts, ${used} of ${capacity} places used. A host whose workers have not reported
for ${duration(v.lostAfterMs)} (HOST_LOST_AFTER_MS) is silent, and the fleet watch marks it lost.</p>`;
  const table = html`<table><thead><tr><th>host</th><th>state</th><th>capacity</th><th>used</th><th>last heartbeat</th><th>labels</th><th>links</th></tr></thead>
<tbody>${v.hosts.length ? v.hosts.map((h) => row(h, v)) : html`<tr><td colspan="7" class="muted">no host has registered yet</td></tr>`}</tbody></table>`;
  return page('Hosts', html`${summary}${table}`);
}
