import type { WorkspaceRow } from '@dockyard/shared';
import { endpointCell, hostLink, html, page, statusBadge, when, type Html } from './html.ts';

export interface ListView {
  rows: WorkspaceRow[];
  counts: Record<string, number>;
  statuses: readonly string[];
  runtimes: string[];
  /** the registered hosts' names */
  hosts: string[];
  filter: { status?: string; runtime?: string; host?: string; limit: number };
  nextCursor: string | null;
  isFirstPage: boolean;
}

/** Query string for the list page with the current filters (and an optional cursor). */
export function listUrl(filter: ListView['filter'], cursor?: string): string {
  const q = new URLSearchParams();
  if (filter.status) q.set('status', filter.status);
  if (filter.runtime) q.set('runtime', filter.runtime);
  if (filter.host) q.set('host', filter.host);
  if (filter.limit !== 50) q.set('limit', String(filter.limit));
  if (cursor) q.set('cursor', cursor);
  const text = q.toString();
  return `/admin/workspaces${text ? `?${text}` : ''}`;
}

function option(value: string, label: string, selected: string | undefined): Html {
  return value === (selected ?? '')
    ? html`<option value="${value}" selected>${label}</option>`
    : html`<option value="${value}">${label}</option>`;
}

function row(ws: WorkspaceRow): Html {
  const id = encodeURIComponent(ws.id);
  return html`<tr data-workspace-id="${ws.id}">
<td><a href="/admin/workspaces/${id}">${ws.name}</a><br><code class="muted">${ws.id}</code></td>
<td>${ws.runtime}</td>
<td>${hostLink(ws.host)}</td>
<td>${endpointCell(ws.endpoint)}</td>
<td>${statusBadge(ws.status)}${ws.desired_state !== 'running' ? html` <span class="muted">(wants ${ws.desired_state})</span>` : ''}</td>
<td>${ws.step ?? '–'}</td>
<td class="err">${ws.last_error ?? ''}</td>
<td>${ws.restart_count}</td>
<td>${when(ws.next_restart_at)}</td>
<td>${when(ws.updated_at)}</td>
<td><a href="/admin/workspaces/${id}">events</a> · <a href="/v1/workspaces/${id}/events">json</a> · <a href="/admin/workspaces/${id}/job">job</a></td>
</tr>`;
}

/** The workspaces table: counts per status, filters, one page of rows, a link to the next page. */
export function renderListPage(v: ListView): string {
  const total = Object.values(v.counts).reduce((a, b) => a + b, 0);
  const counts = html`<p class="counts"><a href="${listUrl({ ...v.filter, status: undefined })}">all: ${total}</a>${v.statuses.map(
    (s) => html`<a href="${listUrl({ ...v.filter, status: s })}">${statusBadge(s)} ${v.counts[s] ?? 0}</a>`,
  )}</p>`;
  const form = html`<form method="get" action="/admin/workspaces">
<label>status <select name="status">${option('', 'any', v.filter.status)}${v.statuses.map((s) => option(s, s, v.filter.status))}</select></label>
<label>runtime <select name="runtime">${option('', 'any', v.filter.runtime)}${v.runtimes.map((r) => option(r, r, v.filter.runtime))}</select></label>
<label>host <select name="host">${option('', 'any', v.filter.host)}${v.hosts.map((h) => option(h, h, v.filter.host))}</select></label>
<label>per page <input name="limit" type="number" min="1" max="500" value="${v.filter.limit}"></label>
<button type="submit">Filter</button></form>`;
  const table = html`<table><thead><tr><th>workspace</th><th>runtime</th><th>host</th><th>endpoint</th><th>status</th><th>step</th><th>last error</th>
<th>restarts</th><th>next restart</th><th>updated</th><th>links</th></tr></thead>
<tbody>${v.rows.length ? v.rows.map(row) : html`<tr><td colspan="10" class="muted">no workspaces match</td></tr>`}</tbody></table>`;
  const pager = html`<p class="pager">${v.isFirstPage ? '' : html`<a href="${listUrl(v.filter)}">« first page</a> `}${
    v.nextCursor ? html`<a rel="next" href="${listUrl(v.filter, v.nextCursor)}">next page »</a>` : html`<span class="muted">last page</span>`
  }</p>`;
  return page('Workspaces', html`${counts}${form}${table}${pager}`);
}
