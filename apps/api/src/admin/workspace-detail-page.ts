import type { DeadLetterRow, WorkspaceEventRow, WorkspaceRow } from '@dockyard/shared';
import { endpointCell, formFields, hostLink, html, liveIndicator, page, statusBadge, when, type Html } from './html.ts';
import { rowActions } from './workspace-list-page.ts';

/** The workspace's dead letters, each with a replay button until it was replayed. */
function deadLetterTable(letters: DeadLetterRow[], csrf: string, back: string): Html {
  if (!letters.length) return html``;
  const replay = (d: DeadLetterRow) =>
    d.replayed_at
      ? html`<span class="muted">replayed ${when(d.replayed_at)} as ${d.replay_job_id ?? '–'}</span>`
      : html`<form method="post" action="/admin/dead-letters/${encodeURIComponent(d.id)}/replay" class="actions">${formFields(csrf, back)}<button type="submit">replay</button></form>`;
  return html`<h2>Dead letters</h2><table><thead><tr><th>at</th><th>job</th><th>step</th><th>error</th><th>attempts</th><th></th></tr></thead><tbody>${letters.map(
    (d) => html`<tr data-dead-letter-id="${d.id}"><td>${when(d.created_at)}</td><td><code>${d.job_id}</code></td><td>${d.step ?? '–'}</td><td class="err">${d.error}</td><td>${d.attempts.length}</td><td>${replay(d)}</td></tr>`,
  )}</tbody></table>`;
}

/** One workspace: its fields, links to its jobs in the queue UI, and its event log (newest first). */
export function renderDetailPage(
  ws: WorkspaceRow,
  events: WorkspaceEventRow[],
  v: { deadLetters: DeadLetterRow[]; csrf: string; flash: string[] },
): string {
  const id = encodeURIComponent(ws.id);
  const jobIds = [...new Set([ws.running_job_id, ws.queued_job_id, ...events.map((e) => e.job_id)].filter((j): j is string => !!j))];
  const jobLink = (jobId: string) => html`<a href="/admin/workspaces/${id}/job?jobId=${encodeURIComponent(jobId)}">${jobId}</a>`;
  const fields = html`<table style="width:auto"><tbody>
<tr><th>name</th><td>${ws.name}</td></tr><tr><th>id</th><td><code>${ws.id}</code></td></tr>
<tr><th>runtime</th><td>${ws.runtime}</td></tr>
<tr><th>host</th><td>${hostLink(ws.host)}</td></tr>
<tr><th>endpoint</th><td>${endpointCell(ws.endpoint)}</td></tr>
<tr><th>status</th><td class="status-cell">${statusBadge(ws.status)} <span class="muted">desired: ${ws.desired_state}</span></td></tr>
<tr><th>step</th><td class="step">${ws.step ?? '–'}</td></tr><tr><th>last error</th><td class="err">${ws.last_error ?? ''}</td></tr>
<tr><th>restarts</th><td>${ws.restart_count}</td></tr><tr><th>next restart</th><td>${when(ws.next_restart_at)}</td></tr>
<tr><th>generation</th><td class="generation">${ws.generation}</td></tr><tr><th>updated</th><td class="updated">${when(ws.updated_at)}</td></tr>
<tr><th>actions</th><td class="actions"><form method="post" action="/admin/workspaces/actions">${formFields(v.csrf, `/admin/workspaces/${ws.id}`)}${rowActions(ws)}</form></td></tr>
<tr><th>jobs</th><td>${jobIds.length ? jobIds.map((j) => html`${jobLink(j)} `) : '–'}</td></tr>
</tbody></table>`;
  const log = html`<h2>Events</h2><p><a href="/v1/workspaces/${id}/events">as JSON</a></p>
<table data-live="events"><thead><tr><th>at</th><th>from</th><th>to</th><th>cause</th><th>job</th><th>attempt</th><th>message</th></tr></thead><tbody>${events.map(
    (e) => html`<tr><td>${when(e.at)}</td><td>${e.from_status ?? '–'}</td><td>${statusBadge(e.to_status)}</td><td>${e.cause}</td>
<td>${e.job_id ? jobLink(e.job_id) : '–'}</td><td>${e.attempt ?? ''}</td><td>${e.message ?? ''}</td></tr>`,
  )}</tbody></table>`;
  const top = html`<p><a href="/admin/workspaces">« all workspaces</a> ${liveIndicator()}</p>`;
  return page(`Workspace ${ws.name}`, html`<div data-workspace-id="${ws.id}">${top}${fields}${deadLetterTable(v.deadLetters, v.csrf, `/admin/workspaces/${ws.id}`)}${log}</div>`, {
    flash: v.flash,
    live: true,
  });
}
