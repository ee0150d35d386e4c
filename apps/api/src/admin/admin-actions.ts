import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ApiError } from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { replayDeadLetter } from '../dead-letter-replay.ts';
import { assertFormPost, CSRF_FIELD, type Csrf } from './csrf.ts';
import { setFlash } from './flash.ts';
import { renderConfirmPage } from './confirm-page.ts';
import { sendPage } from './html.ts';
import { UI_ACTIONS, uiActions, requestUiAction, type UiAction } from './workspace-actions.ts';

const FORM = 'application/x-www-form-urlencoded';
const FORM_BODY_LIMIT = 256 * 1024;

/** A form body as fields; a field sent more than once (checkboxes) becomes a list. */
function parseForm(body: string): Record<string, string | string[]> {
  const params = new URLSearchParams(body);
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length > 1 ? all : all[0]!;
  }
  return out;
}

const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const ActionForm = z.object({
  /** a row's own button: `<action>:<workspace id>` (the selection's checkboxes are then ignored) */
  row: z.string().regex(/^[a-z-]+:[0-9a-f-]{36}$/).optional(),
  /** the selection's action, applied to every checked `ids` */
  action: z.enum(UI_ACTIONS).optional(),
  ids: z.preprocess(list, z.array(z.uuid()).max(500)),
  confirm: z.literal('yes').optional(),
  back: z.string().optional(),
});
const ReplayForm = z.object({ back: z.string().optional() });
const IdParam = z.object({ id: z.uuid() });

/** Where to go after an action: the page it came from when that is an admin workspaces page, else the list. */
export function backTo(back: string | undefined): string {
  return back && /^\/admin\/workspaces(?:[/?]|$)/.test(back) && !back.includes('//') && !/[\r\n\\]/.test(back) ? back : '/admin/workspaces';
}

function parsed<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError('VALIDATION_FAILED', 'invalid form', r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

/** What a form asks: one row's button, or the selection's action over the checked rows. */
function whatOf(form: z.infer<typeof ActionForm>): { what: UiAction; ids: string[] } {
  if (form.row) {
    const [what, id] = [form.row.slice(0, form.row.indexOf(':')), form.row.slice(form.row.indexOf(':') + 1)];
    return { what: parsed(z.enum(UI_ACTIONS), what), ids: [id] };
  }
  if (!form.action) throw new ApiError('VALIDATION_FAILED', 'choose an action');
  if (!form.ids.length) throw new ApiError('VALIDATION_FAILED', 'select at least one workspace');
  return { what: form.action, ids: form.ids };
}

const redirect = (reply: FastifyReply, to: string, lines: string[]) => {
  setFlash(reply, lines);
  return reply.code(303).header('location', to).send();
};

/**
 * The admin pages' form posts: workspace actions (one row, a selection, a workspace's page) and
 * a dead letter's replay. Each is checked for its CSRF token and origin first (403, nothing done),
 * goes through the API's own intent path, and redirects back (303) with a flash of what happened.
 * Hidden from the OpenAPI document: they are the pages' forms, not API.
 */
export async function registerAdminActions(app: FastifyInstance, deps: ApiDeps, csrf: Csrf) {
  await app.register(async (scope) => {
    scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) => done(null, parseForm(body as string)));
    const hidden = { schema: { hide: true } };
    const fields = (body: unknown) => (body && typeof body === 'object' ? (body as Record<string, unknown>) : {});

    scope.post('/admin/workspaces/actions', hidden, async (req, reply) => {
      const body = fields(req.body);
      assertFormPost(req, csrf, body[CSRF_FIELD]);
      const form = parsed(ActionForm, body);
      const { what, ids } = whatOf(form);
      const back = backTo(form.back);
      if (uiActions[what].confirm && form.confirm !== 'yes') {
        return sendPage(reply, renderConfirmPage({ what, label: uiActions[what].label, ids, back, csrf: csrf.issue() }));
      }
      return redirect(reply, back, await requestUiAction(deps, ids, what));
    });

    scope.post('/admin/dead-letters/:id/replay', hidden, async (req, reply) => {
      const body = fields(req.body);
      assertFormPost(req, csrf, body[CSRF_FIELD]);
      const { id } = parsed(IdParam, req.params);
      const back = backTo(parsed(ReplayForm, body).back);
      try {
        const jobId = await replayDeadLetter(deps, id);
        return redirect(reply, back, [`dead letter ${id} replayed (job ${jobId})`]);
      } catch (err) {
        if (err instanceof ApiError && (err.code === 'NOT_FOUND' || err.code === 'CONFLICT')) return redirect(reply, back, [`replay refused: ${err.message}`]);
        throw err;
      }
    });
  });
}
