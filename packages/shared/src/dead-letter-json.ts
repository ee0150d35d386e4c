import { z } from 'zod';

/** A dead letter, as the API lists it (component `DeadLetter`). */
export const DeadLetterJson = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    jobId: z.string(),
    job: z.object({ name: z.string(), data: z.unknown(), action: z.unknown() }),
    error: z.string(),
    step: z.string().nullable(),
    attempts: z.array(z.object({ attempt: z.number(), step: z.string().nullable(), error: z.string(), at: z.string() })),
    at: z.string(),
    replayedAt: z.string().nullable(),
    replayJobId: z.string().nullable(),
  })
  .meta({ id: 'DeadLetter' });
export type DeadLetterJson = z.infer<typeof DeadLetterJson>;
