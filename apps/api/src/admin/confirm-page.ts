import { formFields, html, page } from './html.ts';
import type { UiAction } from './workspace-actions.ts';

/**
 * The confirmation an irreversible action asks for (delete; delete and purge): a page naming
 * what will happen, whose form repeats the request with `confirm=yes`. No script needed.
 */
export function renderConfirmPage(v: { what: UiAction; label: string; ids: string[]; back: string; csrf: string }): string {
  const purge = v.what === 'purge';
  const body = html`<h2>Confirm: ${v.label}</h2>
<p>${v.ids.length === 1 ? 'This workspace' : `These ${v.ids.length} workspaces`} will be removed: the container goes, and no job will ever start ${
    v.ids.length === 1 ? 'it' : 'them'
  } again.${purge ? html` <strong class="danger">The config volume is deleted too: its files cannot be recovered.</strong>` : ' The config volume is kept.'}</p>
<ul>${v.ids.map((id) => html`<li><code>${id}</code></li>`)}</ul>
<form method="post" action="/admin/workspaces/actions" class="actions">${formFields(v.csrf, v.back)}
<input type="hidden" name="action" value="${v.what}"><input type="hidden" name="confirm" value="yes">${v.ids.map(
    (id) => html`<input type="hidden" name="ids" value="${id}">`,
  )}
<button type="submit" class="danger">${v.label}</button> <a href="${v.back}">cancel</a></form>`;
  return page(`Confirm ${v.label}`, body);
}
