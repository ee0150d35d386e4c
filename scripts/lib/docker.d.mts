// Types for the test helpers that start extra local engines (the scripts themselves are plain ESM).
export interface LocalEngine {
  host: string;
  pid: number;
  stop(): Promise<void>;
}
export function startLocalDockerd(stateDir: string, o?: { name?: string; extraArgs?: string[] }): Promise<LocalEngine>;
export function ensureDocker(o: { stateDir: string; adopt?: boolean }): Promise<{ host: string; stop(): Promise<void> }>;
