import type { WorkspaceRow } from '@dockyard/shared';
import { endpointCell, formFields, hostLink, html, liveIndicator, page, statusBadge, when, type Html } from './html.ts';
import { UI_ACTIONS, uiActions } from './workspace-actions.ts';

export interface ListView {
  rows: WorkspaceRow[];
  counts: Record<string, number>;
  statuses: readonly string[];
  runtimes: string[];
  /** the registered hosts' names */
  hosts: string[];
  /** `q`: part of the name; `removed`: list removed workspaces too (hidden unless asked for, or filtered by status) */
  filter: { status?: string; runtime?: string; host?: string; limit: number; q?: string; removed?: boolean };
  nextCursor: string | null;
  isFirstPage: boolean;
  /** the forms' CSRF token, and what the last action did */
  csrf: string;
  flash: string[];
}

/** Query string for the list page with the current filters (and an optional cursor). */
export function listUrl(filter: ListView['filter'], cursor?: string): string {
  const q = new URLSearchParams();
  if (filter.status) q.set('status', filter.status);
  if (filter.runtime) q.set('runtime', filter.runtime);
  if (filter.host) q.set('host', filter.host);
  if (filter.q) q.set('q', filter.q);
  if (filter.removed) q.set('removed', '1');
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

/** A row's own buttons (posted with the table's form as `row=<action>:<id>`); a removed workspace has none. */
export function rowActions(ws: Pick<WorkspaceRow, 'id' | 'status'>): Html {
  if (ws.status === 'removed') return html`<span class="muted">removed</span>`;
  const button = (what: keyof typeof uiActions, label: string, cls = '') =>
    html`<button type="submit" name="row" value="${what}:${ws.id}" class="${cls}" title="${uiActions[what].label}">${label}</button>`;
  return html`${button('restart', 'restart')}${button('restart-template', 'with template')}${
    ws.status === 'paused' ? button('start', 'start') : button('stop', 'stop')
  }${button('delete', 'delete…', 'danger')}${button('purge', 'purge…', 'danger')}`;
}

function row(ws: WorkspaceRow): Html {
  const id = encodeURIComponent(ws.id);
  return html`<tr data-workspace-id="${ws.id}">
<td><input type="checkbox" name="ids" value="${ws.id}" aria-label="select ${ws.name}"></td>
<td><a href="/admin/workspaces/${id}">${ws.name}</a><br><code class="muted">${ws.id}</code></td>
<td>${ws.runtime}</td>
<td>${hostLink(ws.host)}</td>
<td>${endpointCell(ws.endpoint)}</td>
<td class="status-cell">${statusBadge(ws.status)}${ws.desired_state !== 'running' ? html` <span class="muted">(wants ${ws.desired_state})</span>` : ''}</td>
<td class="step">${ws.step ?? '–'}</td>
<td class="err">${ws.last_error ?? ''}</td>
<td>${ws.restart_count}</td>
<td>${when(ws.next_restart_at)}</td>
<td class="updated">${when(ws.updated_at)}</td>
<td class="actions">${rowActions(ws)}</td>
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
<label>name <input name="q" type="search" maxlength="100" value="${v.filter.q ?? ''}" placeholder="search by name"></label>
<label>per page <input name="limit" type="number" min="1" max="500" value="${v.filter.limit}"></label>
<label><input name="removed" type="checkbox" value="1"${v.filter.removed ? html` checked` : ''}> show removed</label>
<button type="submit">Filter</button></form>`;
  const here = listUrl(v.filter);
  const bulk = html`<p class="actions"><label>selected: <select name="action">${UI_ACTIONS.map(
    (a) => html`<option value="${a}">${uiActions[a].label}${uiActions[a].confirm ? '…' : ''}</option>`,
  )}</select></label> <button type="submit" name="bulk" value="1">apply to selected</button> ${liveIndicator()}</p>`;
  const table = html`<form method="post" action="/admin/workspaces/actions" id="workspace-actions">${formFields(v.csrf, here)}${bulk}
<table data-live="list"><thead><tr><th><span class="muted">✓</span></th><th>workspace</th><th>runtime</th><th>host</th><th>endpoint</th><th>status</th><th>step</th><th>last error</th>
<th>restarts</th><th>next restart</th><th>updated</th><th>actions</th><th>links</th></tr></thead>
<tbody>${v.rows.length ? v.rows.map(row) : html`<tr><td colspan="13" class="muted">no workspaces match</td></tr>`}</tbody></table></form>`;
  const pager = html`<p class="pager">${v.isFirstPage ? '' : html`<a href="${listUrl(v.filter)}">« first page</a> `}${
    v.nextCursor ? html`<a rel="next" href="${listUrl(v.filter, v.nextCursor)}">next page »</a>` : html`<span class="muted">last page</span>`
  }</p>`;
  return page('Workspaces', html`${counts}${form}${table}${pager}`, { flash: v.flash, live: true });
}
