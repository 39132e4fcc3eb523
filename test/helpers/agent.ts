import { join } from 'node:path';
import { createAgent, type Agent } from '../../main/core/agent.js';
import type { AgentEvent } from '../../main/common/state.js';
import { fakePorts, tempDir } from './fakes.js';

/** A real agent over a temp folder, with fake OS ports and a record of every event it emitted. */
export async function testAgent(home?: string) {
  const dir = home ?? (await tempDir());
  const ports = fakePorts();
  const paths = { configDir: join(dir, 'config'), dataDir: join(dir, 'data') };
  const agent: Agent = await createAgent({
    ports,
    paths,
    mode: 'headless',
    version: '0.0.0-test',
    autoBenchmark: false,
    embeddedDevnet: false,
  });
  const events: AgentEvent[] = [];
  agent.subscribe((event) => events.push(event));
  return { agent, ports, paths, events, dir };
}
