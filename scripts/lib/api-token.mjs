// The admin token for `npm start`: API_TOKEN if set, else the one stored in .dockyard/api-token, else a new one.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { say } from './proc.mjs';

export function resolveApiToken(stateDir) {
  if (process.env.API_TOKEN) return { token: process.env.API_TOKEN, source: 'API_TOKEN' };
  const file = path.join(stateDir, 'api-token');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return { token: stored, source: file };
  }
  const token = randomBytes(24).toString('hex');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  say(`generated a new API token, stored in ${file}`);
  return { token, source: file };
}
