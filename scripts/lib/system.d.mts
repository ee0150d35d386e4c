// Types for the test helpers that install a Debian package when a program is missing.
export function requireProgram(o: { what: string; find: () => string | null; aptPackages: string[] }): Promise<string>;
