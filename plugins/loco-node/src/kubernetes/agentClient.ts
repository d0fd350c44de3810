import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  AGENT_AUTH_HEADER,
  AGENT_OPEN_ROUTES,
  agentAuthorization,
  INSTANCE_STATES,
  type InstanceHealth,
} from '@loco-portal/plugin-loco-common';
import { z } from 'zod';

export interface AgentResponse {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/**
 * One HTTP request to an emulator agent over a stream from `connectToPod`
 * (direct TCP or the API server's port-forward), bounded by a timeout that
 * covers connecting too. The stream is used for this request only.
 */
export async function agentRequest(
  connect: () => Promise<Duplex>,
  request: {
    method: 'GET' | 'POST';
    path: string;
    token?: string;
    /** A JSON body (control calls such as publish). */
    json?: unknown;
  },
  timeoutMs: number,
): Promise<AgentResponse> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const connecting = connect();
  let socket: Duplex;
  try {
    socket = await Promise.race([
      connecting,
      new Promise<never>((_, reject) =>
        timeout.addEventListener('abort', () =>
          reject(new Error(`no connection within ${timeoutMs} ms`)),
        ),
      ),
    ]);
  } catch (error) {
    // A connection that arrives after we gave up must not linger.
    connecting.then(
      late => late.destroy(),
      () => {},
    );
    throw error;
  }
  const body =
    request.json === undefined
      ? undefined
      : Buffer.from(JSON.stringify(request.json));
  return new Promise<AgentResponse>((resolve, reject) => {
    const req = http.request(
      {
        method: request.method,
        path: request.path,
        headers: {
          host: 'emulator',
          connection: 'close',
          ...(request.token
            ? { [AGENT_AUTH_HEADER]: agentAuthorization(request.token) }
            : {}),
          ...(body
            ? {
                'content-type': 'application/json',
                'content-length': String(body.length),
              }
            : {}),
        },
        createConnection: () => socket as net.Socket,
        signal: timeout,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          socket.destroy();
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks),
          });
        });
      },
    );
    req.on('error', error => {
      socket.destroy();
      reject(
        timeout.aborted ? new Error(`no answer within ${timeoutMs} ms`) : error,
      );
    });
    req.end(body);
  });
}

/** The agent's health JSON; anything else is treated as a failed probe. */
const healthSchema = z.object({
  state: z.enum(INSTANCE_STATES as [string, ...string[]]),
  reasons: z.array(z.string()),
  checkedAt: z.string(),
  facts: z.object({
    processAlive: z.boolean(),
    qmpStatus: z.string().nullable(),
    vncReachable: z.boolean().nullable(),
    lastScreenChangeAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    bootMode: z.enum(['cold', 'snapshot']).nullable(),
    accelerator: z.string().nullable(),
    restarts: z.number().int().min(0),
    lastExit: z
      .object({
        code: z.number().nullable(),
        signal: z.string().nullable(),
        at: z.string(),
      })
      .nullable(),
    // Newer agents only: absent means not measured.
    lanJoined: z.boolean().nullable().optional(),
    guestBooted: z.boolean().nullable().optional(),
  }),
});

/** GET /health of an agent. It answers 503 with the same JSON when a restart would help. */
export async function fetchHealthOver(
  connect: () => Promise<Duplex>,
  timeoutMs: number,
): Promise<InstanceHealth> {
  const res = await agentRequest(
    connect,
    { method: 'GET', path: AGENT_OPEN_ROUTES.health },
    timeoutMs,
  );
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new Error(`HTTP ${res.status}: invalid JSON`);
  }
  const parsed = healthSchema.safeParse(body);
  if (!parsed.success)
    throw new Error(`HTTP ${res.status}: not a health document`);
  return parsed.data as InstanceHealth;
}

const errorSchema = z.object({
  error: z.object({ name: z.string(), message: z.string() }),
});

/**
 * The agent's error answer as the error the portal's API gives the user:
 * what the instance refused (409: not running, nothing saved yet) stays a
 * ConflictError; what the agent could not reach (503: a registry that
 * refused a publish, the control API off) stays a ServiceUnavailableError
 * with the agent's reason; anything else is the portal's problem, not the
 * user's.
 */
export function agentError(instance: string, res: AgentResponse): Error {
  const parsed = errorSchema.safeParse(
    (() => {
      try {
        return JSON.parse(res.body.toString('utf8'));
      } catch {
        return undefined;
      }
    })(),
  );
  const message = parsed.success
    ? parsed.data.error.message
    : `HTTP ${res.status}`;
  switch (res.status) {
    case 400:
      return new InputError(message);
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    case 503:
      return new ServiceUnavailableError(message);
    default:
      return new Error(
        `emulator agent of ${instance} answered ${res.status}: ${message}`,
      );
  }
}
