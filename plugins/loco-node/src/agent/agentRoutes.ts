import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import {
  AGENT_ACTIONS,
  AGENT_AUTH_HEADER,
  AGENT_CONTROL_ROUTES,
  AGENT_OPEN_ROUTES,
  type AgentAction,
  type AgentError,
} from '@loco-portal/plugin-loco-common';
import { isReady } from '../health/deriveInstanceHealth';
import type { EmulatorAgent } from './EmulatorAgent';
import type { AgentMetrics } from './agentMetrics';

/** What a route answers. */
interface Reply {
  status: number;
  type?: string;
  body?: string | Buffer;
}

/**
 * The agent's HTTP routes. The open ones are read-only (kubelet probes,
 * Prometheus); every control route first checks the portal's bearer token:
 * 401 without one, 403 with a wrong one. With no token configured the
 * control API is off (503), never open.
 */
export function agentRoutes(
  agent: EmulatorAgent,
  metrics: AgentMetrics,
  /** The current token (read on every control call, so a replaced one counts at once). */
  token: () => string | null,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const actions = new Map<string, AgentAction>(
    AGENT_ACTIONS.map(a => [AGENT_CONTROL_ROUTES.action(a), a]),
  );

  async function route(req: http.IncomingMessage): Promise<Reply> {
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    const method = req.method ?? 'GET';
    if (path === AGENT_OPEN_ROUTES.health && method === 'GET') {
      const { health, restartHelps } = agent.health();
      return json(restartHelps ? 503 : 200, health);
    }
    if (path === AGENT_OPEN_ROUTES.ready && method === 'GET') {
      const { health } = agent.health();
      // Booted and on the LAN where measured: a player gets a guest that is there.
      const { ready, reason } = isReady(health);
      return {
        status: ready ? 200 : 503,
        type: 'text/plain',
        body: `${health.state}: ${reason}\n`,
      };
    }
    if (path === AGENT_OPEN_ROUTES.metrics && method === 'GET') {
      return {
        status: 200,
        type: metrics.contentType,
        body: await metrics.text(),
      };
    }
    const action = actions.get(path);
    const screenshot = path === AGENT_CONTROL_ROUTES.screenshot;
    if (!action && !screenshot)
      return failure(404, 'NotFoundError', `no route ${path}`);
    const refused = authorize(req.headers[AGENT_AUTH_HEADER], token());
    if (refused) return refused;
    if (screenshot && method === 'GET') {
      const png = await agent.running().controls.screenshot();
      return { status: 200, type: 'image/png', body: png };
    }
    if (action && method === 'POST') {
      const { controls } = agent.running();
      await controls[action]();
      return { status: 204 };
    }
    return failure(
      405,
      'MethodNotAllowedError',
      `${method} ${path} is not allowed`,
    );
  }

  return (req, res) => {
    req.resume(); // no route reads a body
    route(req)
      .catch(error =>
        failure(
          statusOf(error),
          error.name ?? 'Error',
          String(error.message ?? error),
        ),
      )
      .then(reply => {
        res.writeHead(reply.status, {
          'cache-control': 'no-store',
          ...(reply.type ? { 'content-type': reply.type } : {}),
        });
        res.end(reply.body);
      });
  };
}

function authorize(
  header: string | string[] | undefined,
  token: string | null,
): Reply | undefined {
  if (!token) {
    return failure(
      503,
      'ServiceUnavailableError',
      'the control API is off: the agent has no token (LOCO_AGENT_TOKEN_FILE)',
    );
  }
  const presented =
    typeof header === 'string' ? /^Bearer (.+)$/i.exec(header)?.[1] : undefined;
  if (!presented) {
    return failure(401, 'AuthenticationError', 'a bearer token is required');
  }
  // Equal-length digests: the comparison takes the same time whatever matches.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (!timingSafeEqual(digest(presented), digest(token))) {
    return failure(403, 'NotAllowedError', 'wrong token');
  }
  return undefined;
}

/** Backstage's error names, which the portal turns back into the same errors. */
function statusOf(error: { name?: string }): number {
  switch (error?.name) {
    case 'InputError':
      return 400;
    case 'NotFoundError':
      return 404;
    case 'ConflictError':
      return 409;
    default:
      return 500;
  }
}

function json(status: number, value: unknown): Reply {
  return { status, type: 'application/json', body: JSON.stringify(value) };
}

function failure(status: number, name: string, message: string): Reply {
  const body: AgentError = { error: { name, message } };
  return json(status, body);
}
