export const RUNTIME_IMAGE: string;
export function ensureRuntimeImage(dockerHost: string, repoDir: string): Promise<string>;
