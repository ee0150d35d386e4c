import { z } from 'zod';

/**
 * A request string that Postgres will store or compare: well-formed Unicode without NUL.
 * Postgres refuses NUL (U+0000) in text and jsonb, and refuses a lone UTF-16 surrogate
 * (JSON's `"\ud800"`, unpaired) in jsonb, where a text column would silently store U+FFFD
 * instead. Every such request field is built from this schema, so either is a 400 naming the
 * field instead of a database error.
 */
export const StoredText = z
  .string()
  .regex(/^[^\u0000]*$/, 'must not contain the NUL character (\\u0000)')
  .refine((text) => !/\p{Cs}/u.test(text), 'must be well-formed Unicode (no unpaired surrogate such as \\ud800)');
