import type { Step } from '../context.ts';
import { writeMarker } from './volume-content.ts';

/** Provision: write `.provisioned` (workspace id, runtime, template used, time). */
export const markProvisioned: Step = {
  name: 'mark-provisioned',
  async run(ctx, state) {
    await writeMarker(ctx, state.template ?? 'unknown');
  },
};
