import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentMetrics } from './agentMetrics';
import { agentRoutes } from './agentRoutes';
import type { EmulatorAgent } from './EmulatorAgent';

/** Serves the agent's routes on `HOST:PORT`; resolves with the bound port. */
export async function serveAgent(
  agent: EmulatorAgent,
  options: {
    listen: string;
    token: () => string | null;
    labels: { environment: string; instance: string };
  },
): Promise<{ server: http.Server; port: number }> {
  const metrics = new AgentMetrics(
    { health: () => agent.health(), pid: () => agent.supervisor?.pid },
    options.labels,
  );
  const server = http.createServer(agentRoutes(agent, metrics, options.token));
  const at = options.listen.lastIndexOf(':');
  const host = options.listen.slice(0, at).replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.listen.slice(at + 1)), host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
