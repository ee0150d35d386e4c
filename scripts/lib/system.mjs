// Finding system programs, and installing the Debian packages that provide them when we may.
import { existsSync } from 'node:fs';
import { findProgram, isRoot, run, say } from './proc.mjs';

let aptUpdated = false;

export const canUseApt = () => isRoot() && existsSync('/etc/debian_version') && Boolean(findProgram('apt-get'));

export async function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    say('apt-get update');
    const code = await run('apt-get', ['update', '-q'], { env });
    if (code !== 0) throw new Error(`apt-get update exited ${code}`);
    aptUpdated = true;
  }
  say(`apt-get install -y ${packages.join(' ')}`);
  const code = await run('apt-get', ['install', '-y', '-q', ...packages], { env });
  if (code !== 0) throw new Error(`apt-get install ${packages.join(' ')} exited ${code}`);
}

/**
 * The path of a program, installing its Debian package if it is missing and we are root on Debian.
 * `find` returns the path or null; it is called again after the install.
 */
export async function requireProgram({ what, find, aptPackages }) {
  const found = find();
  if (found) return found;
  if (!canUseApt()) {
    throw new Error(
      `${what} is not installed. Install the Debian/Ubuntu package(s) ${aptPackages.join(', ')} ` +
        `(or your system's equivalent), or point Dockyard at a running one (see README).`,
    );
  }
  say(`${what} not found: installing ${aptPackages.join(' ')}`);
  await aptInstall(aptPackages);
  const installed = find();
  if (!installed) throw new Error(`${what} still not found after installing ${aptPackages.join(' ')}`);
  return installed;
}
