import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { PermanentError } from './errors.ts';

/**
 * The secret box: workspace env values are sealed with AES-256-GCM under SECRETS_KEY before they
 * reach Postgres, and opened only where a container is made. A sealed text names its format and
 * its key (`v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url parts), so a box holding the previous
 * key (SECRETS_KEY_PREVIOUS) still opens what was sealed before a rotation, and the re-seal knows
 * which rows still wait for the new key. Each text is bound to its workspace (GCM additional data):
 * one copied onto another row does not open.
 */

/** The two keys a process may hold: the one it seals with, and the one it replaces. */
export interface SecretKeys {
  current: Buffer;
  previous?: Buffer;
}

/** A sealed value could not be opened: unknown key, tampered text, or another workspace's. No retry helps. */
export class SecretsError extends PermanentError {
  override name = 'SecretsError';
}

const KEY_HELP = '32 random bytes as 64 hex characters or as base64, e.g. `openssl rand -hex 32`';

/** SECRETS_KEY's text → its 32 bytes; the message never repeats the value. */
export const SecretKeyText = z
  .string({ error: `required: ${KEY_HELP}` })
  .transform((text, ctx) => {
    const key = decodeKey(text.trim());
    if (!key) {
      ctx.addIssue({ code: 'custom', message: `must be ${KEY_HELP}` });
      return z.NEVER;
    }
    return key;
  });

function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  // standard or URL-safe base64, padded or not: 32 bytes are 43 characters before the padding
  const b64 = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/_-]{43}$/.test(b64)) return undefined;
  const key = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : undefined;
}

const FORMAT = 'v1';
const HASH_PREFIX = 'hmac-sha256';

interface DerivedKey {
  id: string;
  cipher: Buffer;
  mac: Buffer;
}

/** One master key, three uses kept apart (HKDF): its public id, the cipher key, the request-hash key. */
function derive(master: Buffer): DerivedKey {
  const sub = (info: string, length: number) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `dockyard ${info}`, length));
  return { id: sub('key id', 6).toString('hex'), cipher: sub('env cipher', 32), mac: sub('request hash', 32) };
}

const EnvRecord = z.record(z.string(), z.string());
const additionalData = (keyId: string, boundTo: string) => Buffer.from(`dockyard env ${FORMAT} ${keyId} ${boundTo}`);

export interface SecretBox {
  /** the id of SECRETS_KEY (not secret: derived one-way from it) */
  readonly keyId: string;
  /** seal env for one workspace (`boundTo`: its id) under SECRETS_KEY */
  seal(env: Record<string, string>, boundTo: string): string;
  /** open a sealed text with whichever held key it names; throws SecretsError */
  open(sealed: string, boundTo: string): Record<string, string>;
  /** the key id a sealed text names, or undefined when it is not a sealed text */
  keyIdOf(sealed: string): string | undefined;
  /** a keyed hash of a request (never an unkeyed hash of a secret): `hmac-sha256:<keyId>:<hex>` */
  requestHash(text: string): string;
  /** whether `stored` is the hash of `text`, under either held key (or the unkeyed SHA-256 of an older Dockyard) */
  requestHashMatches(text: string, stored: string): boolean;
  /** an older Dockyard's unkeyed SHA-256 (hex) turned into a keyed hash that matches the same requests */
  keyLegacyHash(sha256Hex: string): string;
}

export function makeSecretBox(keys: SecretKeys): SecretBox {
  const current = derive(keys.current);
  const held = new Map([current, ...(keys.previous ? [derive(keys.previous)] : [])].map((k) => [k.id, k]));
  const keyNamed = (id: string, what: string): DerivedKey => {
    const key = held.get(id);
    if (!key) {
      throw new SecretsError(`${what} was sealed with key ${id}, which is neither SECRETS_KEY (${current.id}) nor SECRETS_KEY_PREVIOUS`);
    }
    return key;
  };
  const keyedDigest = (key: DerivedKey, digest: Buffer) => `${HASH_PREFIX}:${key.id}:${createHmac('sha256', key.mac).update(digest).digest('hex')}`;
  const sha256 = (text: string) => createHash('sha256').update(text).digest();

  return {
    keyId: current.id,
    seal(env, boundTo) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.cipher, iv);
      cipher.setAAD(additionalData(current.id, boundTo));
      const body = Buffer.concat([cipher.update(JSON.stringify(env), 'utf8'), cipher.final()]);
      return [FORMAT, current.id, iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open(sealed, boundTo) {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== FORMAT) throw new SecretsError(`not a sealed ${FORMAT} value`);
      const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
      const key = keyNamed(keyId, 'the env');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key.cipher, Buffer.from(iv, 'base64url'));
        decipher.setAAD(additionalData(keyId, boundTo));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
        return EnvRecord.parse(JSON.parse(text));
      } catch (err) {
        throw new SecretsError(`the env sealed with key ${keyId} does not open: altered, or sealed for another workspace`, { cause: err });
      }
    },
    keyIdOf(sealed) {
      const parts = sealed.split('.');
      return parts.length === 5 && parts[0] === FORMAT ? parts[1] : undefined;
    },
    requestHash(text) {
      return keyedDigest(current, sha256(text));
    },
    requestHashMatches(text, stored) {
      const digest = sha256(text);
      const [prefix, keyId, hex] = stored.split(':');
      const expected = prefix === HASH_PREFIX && keyId !== undefined && hex !== undefined
        ? held.has(keyId) ? keyedDigest(held.get(keyId)!, digest) : undefined
        : digest.toString('hex'); // an older Dockyard's unkeyed hash, until the re-seal keys it
      return expected !== undefined && expected.length === stored.length && timingSafeEqual(Buffer.from(expected), Buffer.from(stored));
    },
    keyLegacyHash(sha256Hex) {
      return keyedDigest(current, Buffer.from(sha256Hex, 'hex'));
    },
  };
}
