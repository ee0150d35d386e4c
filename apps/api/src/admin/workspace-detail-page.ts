import type { WorkspaceEventRow, WorkspaceRow } from '@dockyard/shared';
import { endpointCell, hostLink, html, page, statusBadge, when } from './html.ts';

/** One workspace: its fields, links to its jobs in the queue UI, and its event log (newest first). */
export function renderDetailPage(ws: WorkspaceRow, events: WorkspaceEventRow[]): string {
  const id = encodeURIComponent(ws.id);
  const jobIds = [...new Set([ws.running_job_id, ws.queued_job_id, ...events.map((e) => e.job_id)].filter((j): j is string => !!j))];
  const jobLink = (jobId: string) => html`<a href="/admin/workspaces/${id}/job?jobId=${encodeURIComponent(jobId)}">${jobId}</a>`;
  const fields = html`<table style="width:auto"><tbody>
<tr><th>name</th><td>${ws.name}</td></tr><tr><th>id</th><td><code>${ws.id}</code></td></tr>
<tr><th>runtime</th><td>${ws.runtime}</td></tr>
<tr><th>host</th><td>${hostLink(ws.host)}</td></tr>
<tr><th>endpoint</th><td>${endpointCell(ws.endpoint)}</td></tr>
<tr><th>status</th><td>${statusBadge(ws.status)} <span class="muted">desired: ${ws.desired_state}</span></td></tr>
<tr><th>step</th><td>${ws.step ?? '–'}</td></tr><tr><th>last error</th><td class="err">${ws.last_error ?? ''}</td></tr>
<tr><th>restarts</th><td>${ws.restart_count}</td></tr><tr><th>next restart</th><td>${when(ws.next_restart_at)}</td></tr>
<tr><th>generation</th><td>${ws.generation}</td></tr><tr><th>updated</th><td>${when(ws.updated_at)}</td></tr>
<tr><th>jobs</th><td>${jobIds.length ? jobIds.map((j) => html`${jobLink(j)} `) : '–'}</td></tr>
</tbody></table>`;
  const log = html`<h2>Events</h2><p><a href="/v1/workspaces/${id}/events">as JSON</a></p>
<table><thead><tr><th>at</th><th>from</th><th>to</th><th>cause</th><th>job</th><th>attempt</th><th>message</th></tr></thead><tbody>${events.map(
    (e) => html`<tr><td>${when(e.at)}</td><td>${e.from_status ?? '–'}</td><td>${statusBadge(e.to_status)}</td><td>${e.cause}</td>
<td>${e.job_id ? jobLink(e.job_id) : '–'}</td><td>${e.attempt ?? ''}</td><td>${e.message ?? ''}</td></tr>`,
  )}</tbody></table>`;
  return page(`Workspace ${ws.name}`, html`<p><a href="/admin/workspaces">« all workspaces</a></p>${fields}${log}`);
}
