// The headless browser the UI test drives: Debian's Chromium (no browser download).
import { findProgram } from './proc.mjs';
import { requireProgram } from './system.mjs';

export function ensureChromium() {
  return requireProgram({ what: 'Chromium (for the browser test of the queue UI)', find: () => findProgram('chromium'), aptPackages: ['chromium'] });
}
