// `npm run headless`: builds what changed since the last build, then runs the headless agent with this script's
// arguments (--port, --data…).
import { buildChanged } from './build-changed.mjs';

const code = await buildChanged();
if (code === 0) await import('../dist/main/headless.js');
else process.exitCode = code;
