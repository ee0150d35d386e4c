import { z } from 'zod';

/**
 * A request string that Postgres will store or compare: anything but NUL (U+0000), which
 * Postgres refuses in text and jsonb. Every such request field is built from this schema, so
 * a NUL is a 400 naming the field instead of a database error.
 */
export const StoredText = z.string().regex(/^[^\u0000]*$/, 'must not contain the NUL character (\\u0000)');
