import type { FastifyReply } from 'fastify';
import type { Endpoint, HostState } from '@dockyard/shared';

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Markup that is already safe (built by `html` or marked with `trusted`). */
export interface Html {
  readonly text: string;
  readonly safeHtml: true;
}

/** Mark a constant string (never user data) as markup. */
export const trusted = (text: string): Html => ({ text, safeHtml: true });

const isHtml = (v: unknown): v is Html => typeof v === 'object' && v !== null && (v as Html).safeHtml === true;

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += renderValue(v) + (strings[i + 1] ?? '');
  });
  return trusted(out);
}

function renderValue(v: unknown): string {
  if (isHtml(v)) return v.text;
  if (Array.isArray(v)) return v.map(renderValue).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

export const STATUS_COLOURS: Record<string, string> = {
  provisioning: '#2563eb',
  online: '#15803d',
  offline: '#b45309',
  failed: '#b91c1c',
  paused: '#6b7280',
  removed: '#374151',
};

/** Host states in the same palette: ready green, cordoned amber, draining blue (moving), lost red. */
export const HOST_STATE_COLOURS: Record<HostState, string> = {
  ready: '#15803d',
  cordoned: '#b45309',
  draining: '#2563eb',
  lost: '#b91c1c',
};

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{background:#111827;color:#f9fafb;padding:10px 20px;display:flex;gap:20px;align-items:baseline}
header a{color:#93c5fd}main{padding:16px 20px}h1{font-size:18px;margin:0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e5e7eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600;position:sticky;top:0}
.status{display:inline-block;padding:1px 8px;border-radius:9px;color:#fff;font-size:12px}
.err{color:#b91c1c;max-width:360px;overflow-wrap:anywhere}.muted{color:#6b7280}
.counts a{margin-right:12px}form{margin:0 0 12px}form *{margin-right:6px}
.pager{margin:12px 0}code{font-size:12px}
.flash{background:#ecfdf5;border:1px solid #6ee7b7;padding:8px 12px;margin:0 0 12px;white-space:pre-line}
.actions button{font-size:12px;margin:0 2px 2px 0}.actions form{display:inline;margin:0}.danger{color:#b91c1c}
.live{font-size:12px}.live.off{color:#b45309}tr.changed td{background:#fefce8}
`;

export function statusBadge(status: string, colours: Record<string, string> = STATUS_COLOURS): Html {
  return html`<span class="status" style="background:${colours[status] ?? '#6b7280'}">${status}</span>`;
}

/** The page frame shared by the admin pages; `flash`: what the last action did; `live`: load the live-update script. */
export function page(title: string, body: Html, opts: { flash?: string[]; live?: boolean } = {}): string {
  const flash = opts.flash?.length ? html`<p class="flash" role="status">${opts.flash.join('\n')}</p>` : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Dockyard</title><style>${trusted(CSS)}</style>${opts.live ? trusted('<script src="/admin/assets/live.js" defer></script>') : ''}</head>
<body><header><h1>Dockyard</h1><a href="/admin/workspaces">Workspaces</a><a href="/admin/hosts">Hosts</a><a href="/admin/queues">Queues</a><a href="/docs">API docs</a><a href="/metrics">Metrics</a></header>
<main>${flash}${body}</main></body></html>`.text;
}

/**
 * Send an admin page that carries forms: `Referrer-Policy: same-origin` (instead of the API's
 * `no-referrer`) so the browser sends this origin in the `Origin` header of the forms' posts,
 * which the CSRF check requires; other sites still get no referrer.
 */
export function sendPage(reply: FastifyReply, body: string, status = 200) {
  return reply.code(status).header('referrer-policy', 'same-origin').type('text/html; charset=utf-8').send(body);
}

/** Where live.js says whether it follows the watch stream; it reads the badge colours from here. */
export const liveIndicator = (): Html => html`<span class="live muted" id="live" data-colours="${JSON.stringify(STATUS_COLOURS)}">live updates: off</span>`;

/** The hidden fields every admin form carries: its CSRF token, and the page to come back to. */
export const formFields = (csrf: string, back: string): Html => html`<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="back" value="${back}">`;

/** A workspace's host, linked to its row on the hosts page; "none yet" while it waits for one. */
export const hostLink = (host: string | null): Html =>
  host ? html`<a href="/admin/hosts#host-${encodeURIComponent(host)}">${host}</a>` : html`<span class="muted">none yet</span>`;

/** A timestamp for a table cell: ISO text, or a dash. */
export const when = (d: Date | null | undefined) => (d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');

/** A workspace's endpoint in a cell: each published port as `8000/tcp → 127.0.0.1:49153`, then network and alias. */
export function endpointCell(endpoint: Endpoint | null): Html {
  if (!endpoint) return html`–`;
  const ports = Object.entries(endpoint.ports).map(([port, p]) => html`<code>${port} → ${p.hostIp}:${p.hostPort}</code><br>`);
  return html`${ports}<span class="muted">${endpoint.network}${endpoint.alias ? html` as ${endpoint.alias}` : ''}</span>`;
}
