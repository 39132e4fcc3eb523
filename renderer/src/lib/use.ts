/** A GPU's use split into ours and the user's programs: one rule for the dashboard and the agent's device history. */
export { gpuSplit } from '../../../main/common/device-history.js';
