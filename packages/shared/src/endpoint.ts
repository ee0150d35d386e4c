import { z } from 'zod';

/** Where a running workspace is reached: its host, network and alias, and the ports the engine published. */
export const Endpoint = z
  .object({
    /** the Docker host it runs on */
    host: z.string().nullable(),
    /** the network it joined (a runtime's own, else WORKSPACE_NETWORK) */
    network: z.string(),
    /** `ws-<id12>`, its name on a runtime network; null on none/bridge */
    alias: z.string().nullable(),
    /** "8000/tcp" → the host address and port the engine published it on (read after every start: it may change) */
    ports: z.record(z.string(), z.object({ hostIp: z.string(), hostPort: z.number().int() })),
  })
  .meta({ id: 'Endpoint' });
export type Endpoint = z.infer<typeof Endpoint>;
