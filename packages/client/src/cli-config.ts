import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Where the API is and its token: DOCKYARD_URL and DOCKYARD_TOKEN, else what `npm start` uses:
 * http://127.0.0.1:$PORT (8080) and the token it keeps in .dockyard/api-token (DOCKYARD_STATE_DIR moves it).
 */
export function resolveTarget(env: Record<string, string | undefined>): { url: string; token: string } {
  const url = env.DOCKYARD_URL || `http://${env.HOST && env.HOST !== '0.0.0.0' ? env.HOST : '127.0.0.1'}:${env.PORT || '8080'}`;
  if (env.DOCKYARD_TOKEN) return { url, token: env.DOCKYARD_TOKEN };
  const file = join(resolve(env.DOCKYARD_STATE_DIR || join(CHECKOUT, '.dockyard')), 'api-token');
  if (!existsSync(file)) throw new Error(`no token: set DOCKYARD_TOKEN, or run npm start once (it keeps one in ${file})`);
  return { url, token: readFileSync(file, 'utf8').trim() };
}
