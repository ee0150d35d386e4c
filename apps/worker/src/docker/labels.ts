import { HOST_LABEL, INSTALLATION_LABEL, MANAGED_LABEL, PermanentError, WORKSPACE_ID_LABEL } from '@dockyard/shared';

export interface LabelOptions {
  /** DOCKER_LABELS: put on every object, and narrow what is listed */
  extraLabels: Record<string, string>;
  /** this installation's id: on every object created, and required of every object touched by name */
  installationId: string;
  /** the host this worker serves: on every object created */
  hostName: string;
}

export type Labels = Record<string, string> | null | undefined;

/** The labels Dockyard puts on its objects, and the ownership check before it touches one. */
export function makeLabels(opts: LabelOptions) {
  return {
    of: (workspaceId: string, extra: Record<string, string> = {}) => ({
      ...opts.extraLabels,
      ...extra,
      [MANAGED_LABEL]: 'true',
      [INSTALLATION_LABEL]: opts.installationId,
      [HOST_LABEL]: opts.hostName,
      [WORKSPACE_ID_LABEL]: workspaceId,
    }),

    /** a shared object (a runtime's network): managed and this installation's, of no one workspace */
    network: () => ({ ...opts.extraLabels, [MANAGED_LABEL]: 'true', [INSTALLATION_LABEL]: opts.installationId }),

    /** `label` filters for listing managed objects (of every installation) */
    scope: () => [`${MANAGED_LABEL}=true`, ...Object.entries(opts.extraLabels).map(([k, v]) => `${k}=${v}`)],

    /** labelled by this very installation (not merely managed) */
    isOwn: (labels: Labels) => labels?.[INSTALLATION_LABEL] === opts.installationId,

    /**
     * Only managed objects are touched, and never another installation's. An object with no
     * installation label is touched only by name for one of this installation's workspaces
     * (the caller knows it from Postgres) or once adopted: an older Dockyard made it.
     */
    assertManaged(kind: string, name: string, labels: Labels) {
      if (labels?.[MANAGED_LABEL] !== 'true') {
        throw new PermanentError(`${kind} ${name} exists but is not labelled ${MANAGED_LABEL}=true; refusing to touch it`);
      }
      const owner = labels[INSTALLATION_LABEL];
      if (owner !== undefined && owner !== opts.installationId) {
        throw new PermanentError(`${kind} ${name} belongs to installation ${owner}, not ${opts.installationId}; refusing to touch it`);
      }
    },
  };
}
export type DockerLabels = ReturnType<typeof makeLabels>;
