// Types for the tests that read the production build's outputs (the script itself is plain ESM).
export const NODE_HEAP_FLAGS: string[];
export const OUTPUTS: Array<{ name: string; entry: string; dist: string; file: string; copy?: Array<[string, string]>; nodeFlags?: string[] }>;
export function builtCommand(repoDir: string, name: string): { cmd: string; args: string[] };
export function inputsHash(repoDir: string): string;
export function isBuildCurrent(repoDir: string, hash?: string): boolean;
export function build(repoDir: string): Promise<string>;
export function ensureBuilt(repoDir: string, say?: (message: string) => void): Promise<boolean>;
