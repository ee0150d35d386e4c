// Prometheus and promtool, for the test of the README's queries against a real server
// (test/metrics.prometheus.test.ts starts its own, on loopback): Debian's `prometheus` package.
import { findProgram } from './proc.mjs';
import { requireProgram } from './system.mjs';

/** The path of `prometheus`, installing the package (which also brings `promtool`) when either is missing. */
export function ensurePrometheus() {
  return requireProgram({
    what: 'Prometheus and promtool (for the metrics test against a real Prometheus)',
    find: () => (findProgram('promtool') ? findProgram('prometheus') : null),
    aptPackages: ['prometheus'],
  });
}
