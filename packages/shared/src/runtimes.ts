import { posix } from 'node:path';
import { z } from 'zod';

/** A runtime name is also a template folder name, so it must be a safe path segment. */
const RUNTIME_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const RUNTIME_NAME_RULE = 'runtime names are lowercase letters, digits and -, start with a letter or digit, at most 63 characters';
export const RuntimeName = z.string().regex(RUNTIME_NAME, RUNTIME_NAME_RULE);

/** A host name is part of queue names and paths: the same rule as a runtime name. */
export const HostName = z.string().regex(RUNTIME_NAME, 'host names are lowercase letters, digits and -, start with a letter or digit, at most 63 characters');

/** The capabilities Docker grants a container by default: the only ones `capAdd` may give back (every container drops ALL first). */
export const ADDABLE_CAPABILITIES = [
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
] as const;

/** The pids limit of a workspace container whose runtime names none. */
export const DEFAULT_PIDS_LIMIT = 512;

const ContainerPath = z
  .string()
  .refine((p) => p.startsWith('/') && posix.normalize(p) === p && p !== '/' && !p.endsWith('/'), 'an absolute, normalized container path other than /');
const outsideConfigs = (p: string) => p !== '/configs' && !p.startsWith('/configs/');

export const PortSpec = z.strictObject({
  container: z.number().int().min(1).max(65_535),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  /** the host address to publish on; loopback unless the runtime says otherwise */
  hostIp: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
  /** a fixed host port; the engine picks a free one when absent */
  host: z.number().int().min(1).max(65_535).optional(),
});
export type PortSpec = z.infer<typeof PortSpec>;

export const DataVolumeSpec = z.strictObject({
  /** → Docker volume `ws-<id12>-<name>` */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a volume name (lowercase letters, digits, -; at most 32): host paths are never mounted into a workspace')
    .refine((n) => n !== 'configs', '"configs" is the config volume'),
  path: ContainerPath.refine(outsideConfigs, 'a data volume cannot be mounted at or under /configs (the config volume)'),
});
export type DataVolumeSpec = z.infer<typeof DataVolumeSpec>;

export const HealthcheckSpec = z.strictObject({
  /** Docker's form: ["CMD", "prog", "arg"…] or ["CMD-SHELL", "command"] */
  test: z
    .array(z.string().min(1))
    .min(2)
    .refine((t) => t[0] === 'CMD' || t[0] === 'CMD-SHELL', 'test starts with "CMD" or "CMD-SHELL"'),
  intervalMs: z.number().int().min(1).optional(),
  timeoutMs: z.number().int().min(1).optional(),
  retries: z.number().int().min(1).optional(),
  startPeriodMs: z.number().int().min(1).optional(),
});
export type HealthcheckSpec = z.infer<typeof HealthcheckSpec>;

export const RuntimeSpec = z
  .strictObject({
    image: z.string().min(1),
    cmd: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    memoryMb: z.number().int().positive().optional(),
    cpus: z.number().positive().optional(),
    pidsLimit: z.number().int().positive().optional(),
    /** placement: a workspace of this runtime goes only to hosts carrying every one of these labels */
    hostLabels: z.record(z.string(), z.string()).optional(),
    /** container ports to publish */
    ports: z.array(PortSpec).optional(),
    /** per-workspace named volumes beside /configs: never re-seeded, removed only by a purge */
    volumes: z.array(DataVolumeSpec).optional(),
    /** the Docker network this runtime's containers join (alias `ws-<id12>`); overrides WORKSPACE_NETWORK; created if missing */
    network: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a network name')
      .refine((n) => !['host', 'none', 'bridge', 'default'].includes(n), 'a network of its own: not host, none, bridge or default')
      .optional(),
    healthcheck: HealthcheckSpec.optional(),
    user: z.string().regex(/^[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})?$/, 'user[:group], by name or id').optional(),
    readOnlyRootfs: z.boolean().optional(),
    /** container path → mount options (e.g. "size=64m") */
    tmpfs: z.record(ContainerPath.refine(outsideConfigs, 'not at or under /configs'), z.string().regex(/^[A-Za-z0-9=,_.-]*$/, 'mount options like size=64m,mode=1777')).optional(),
    capAdd: z.array(z.enum(ADDABLE_CAPABILITIES, { message: `capAdd gives back only Docker's default capabilities: ${ADDABLE_CAPABILITIES.join(', ')}` })).optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    for (const [i, v] of (spec.volumes ?? []).entries()) {
      for (const key of [`name ${v.name}`, `path ${v.path}`]) {
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['volumes', i], message: `${key} is used twice` });
        seen.add(key);
      }
    }
  });
export type RuntimeSpec = z.infer<typeof RuntimeSpec>;

/** What a manifest can never ask for (keys lowercase), with the reason its error names. */
const FORBIDDEN: Record<string, string> = {
  privileged: 'workspaces never run privileged',
  binds: 'host paths and the Docker socket are never mounted into a workspace (use "volumes" for named data volumes)',
  mounts: 'host paths and the Docker socket are never mounted into a workspace (use "volumes" for named data volumes)',
  devices: 'host devices are never passed into a workspace',
  securityopt: 'every workspace runs with no-new-privileges; security options are not configurable',
  capdrop: 'every workspace drops ALL capabilities; use capAdd to give back one of the defaults',
  pidmode: "workspaces never share the host's namespaces",
  ipcmode: "workspaces never share the host's namespaces",
  networkmode: 'use "network" (a network name of its own); host networking is refused',
  userns: "workspaces never share the host's namespaces",
};

/** Refuse the dangerous half by name (a clear message), before the strict schema calls it merely unknown. */
const RuntimeEntry = z.preprocess((raw, ctx) => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const reason = Object.hasOwn(FORBIDDEN, key.toLowerCase()) ? FORBIDDEN[key.toLowerCase()] : undefined;
    if (reason) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is not allowed: ${reason}` });
    else rest[key] = value;
  }
  return rest;
}, RuntimeSpec);

export const RuntimesManifest = z.strictObject({
  runtimes: z.record(z.string(), RuntimeEntry).superRefine((runtimes, ctx) => {
    for (const name of Object.keys(runtimes)) {
      if (!RUNTIME_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}": ${RUNTIME_NAME_RULE}` });
    }
  }),
});
export type RuntimesManifest = z.infer<typeof RuntimesManifest>;
