import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import {
  AGENT_ACTIONS,
  AGENT_AUTH_HEADER,
  AGENT_CONTROL_ROUTES,
  AGENT_MAX_BODY_BYTES,
  AGENT_OPEN_ROUTES,
  SNAPSHOT_TAG_PATTERN,
  type AgentAction,
  type AgentError,
  type AgentPublishResponse,
} from '@loco-portal/plugin-loco-common';
import { z } from 'zod';
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
    const publish = path === AGENT_CONTROL_ROUTES.publish;
    if (!action && !screenshot && !publish)
      return failure(404, 'NotFoundError', `no route ${path}`);
    const refused = authorize(req.headers[AGENT_AUTH_HEADER], token());
    if (refused) return refused;
    if (screenshot && method === 'GET') {
      const png = await agent.running().controls.screenshot();
      return { status: 200, type: 'image/png', body: png };
    }
    if (publish && method === 'POST') {
      // Read only once the caller is known to be the portal.
      const { tag } = publishBody(await readBody(req));
      const digest = await agent.publish(tag);
      const answer: AgentPublishResponse = { tag, digest };
      return json(201, answer);
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
    route(req)
      .catch(error =>
        failure(
          statusOf(error),
          error.name ?? 'Error',
          String(error.message ?? error),
        ),
      )
      .then(reply => {
        req.resume(); // a body no route read
        res.writeHead(reply.status, {
          'cache-control': 'no-store',
          ...(reply.type ? { 'content-type': reply.type } : {}),
        });
        res.end(reply.body);
      });
  };
}

const publishSchema = z.object({
  tag: z
    .string()
    .regex(SNAPSHOT_TAG_PATTERN, 'must be a snapshot tag such as games'),
});

/** The publish request, or an InputError (400) saying what is wrong. */
function publishBody(text: string): { tag: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw named('InputError', 'the body must be JSON: {"tag": "..."}');
  }
  const parsed = publishSchema.safeParse(value);
  if (!parsed.success) {
    throw named(
      'InputError',
      `invalid publish request: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** A control call's body, at most AGENT_MAX_BODY_BYTES. */
function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > AGENT_MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        reject(
          named(
            'InputError',
            `the body is larger than ${AGENT_MAX_BODY_BYTES} bytes`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
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
    case 'ServiceUnavailableError':
      return 503;
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
