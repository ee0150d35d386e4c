// The key workspace env values are sealed with, for `npm start`: SECRETS_KEY if set, else the one
// stored in .dockyard/secrets-key, else a new one (kept there, mode 0600). The key is never printed.
// Rotation: move .dockyard/secrets-key to .dockyard/secrets-key.previous and run `npm start`: a new
// key is made, the previous one is handed over as SECRETS_KEY_PREVIOUS, and the migrations re-seal
// every workspace's env under the new key (then the .previous file may be deleted).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { say } from './proc.mjs';

const readKey = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined);

/** `{ key, source, previous? }`: the keys the migrations, the api and the worker get. */
export function resolveSecretsKey(stateDir) {
  const previousFile = path.join(stateDir, 'secrets-key.previous');
  const previous = process.env.SECRETS_KEY_PREVIOUS || readKey(previousFile);
  if (process.env.SECRETS_KEY) return { key: process.env.SECRETS_KEY, source: 'SECRETS_KEY', previous };
  const file = path.join(stateDir, 'secrets-key');
  const stored = readKey(file);
  if (stored) return { key: stored, source: file, previous };
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  say(`generated a new secrets key (it seals workspace env values), stored in ${file}`);
  if (previous) say(`the previous key (${process.env.SECRETS_KEY_PREVIOUS ? 'SECRETS_KEY_PREVIOUS' : previousFile}) still opens the values sealed before; the migrations re-seal them`);
  return { key, source: file, previous };
}

/** The env entries the processes get: never an empty SECRETS_KEY_PREVIOUS. */
export function secretsKeyEnv({ key, previous }) {
  return { SECRETS_KEY: key, ...(previous ? { SECRETS_KEY_PREVIOUS: previous } : {}) };
}
