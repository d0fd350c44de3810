/**
 * The emulator agent's contract: the program that supervises one QEMU inside
 * an emulator pod (plugins/loco-node/src/agent) and the portal's Kubernetes
 * runtime that calls it both import these names, and the Helm chart renders
 * the same ones (tests/chart checks it against this file).
 */

/**
 * The one TCP port the agent serves (the chart's container port `health`).
 *
 * @public
 */
export const AGENT_PORT = 8080;

/**
 * Read-only routes, open to the kubelet's probes and to Prometheus.
 *
 * @public
 */
export const AGENT_OPEN_ROUTES = {
  /** `InstanceHealth` JSON; 503 only when restarting the container would help. */
  health: '/health',
  /** 200 while the instance is healthy or degraded. */
  ready: '/ready',
  /** Prometheus text. */
  metrics: '/metrics',
} as const;

/**
 * The instance actions the agent carries out, each a POST answered with 204.
 *
 * @public
 */
export const AGENT_ACTIONS = ['save', 'restore', 'reset'] as const;
/** @public */
export type AgentAction = (typeof AGENT_ACTIONS)[number];

/**
 * Control routes: only the portal may call them (bearer token below).
 *
 * @public
 */
export const AGENT_CONTROL_ROUTES = {
  /** POST /control/actions/<action> */
  action: (action: AgentAction) => `/control/actions/${action}`,
  /** GET: a PNG of the screen, taken by QEMU. */
  screenshot: '/control/screenshot',
  /**
   * POST {@link AgentPublishRequest}: publishes the instance's disk and RAM
   * state as a snapshot tag in the pod's registry; 201 with
   * {@link AgentPublishResponse}.
   */
  publish: '/control/publish',
} as const;

/**
 * The body of a publish call (JSON); `tag` follows SNAPSHOT_TAG_PATTERN.
 *
 * @public
 */
export interface AgentPublishRequest {
  tag: string;
}

/**
 * A publish call's answer: the manifest digest the tag now names.
 *
 * @public
 */
export interface AgentPublishResponse {
  tag: string;
  digest: string;
}

/**
 * The largest body a control call may carry (a publish request is a tag).
 *
 * @public
 */
export const AGENT_MAX_BODY_BYTES = 1024;

/**
 * Control calls carry `Authorization: Bearer <token>`; 401 without it, 403 with a wrong one.
 *
 * @public
 */
export const AGENT_AUTH_HEADER = 'authorization';
/** @public */
export const agentAuthorization = (token: string) => `Bearer ${token}`;

/**
 * The token lives in a Secret the chart creates per release (random, kept
 * across upgrades), named by the chart's rule below, under this key. The pod
 * names its Secret in an annotation, so the portal never guesses the rule.
 *
 * @public
 */
export const AGENT_SECRET_KEY = 'token';
/** @public */
export const AGENT_SECRET_ANNOTATION = 'loco.dev/agent-secret';
/**
 * The chart's name rule (`<release fullname>-agent`).
 *
 * @public
 */
export const agentSecretName = (releaseFullname: string) =>
  `${releaseFullname}-agent`;
/**
 * Where the chart mounts the token inside the pod, passed as LOCO_AGENT_TOKEN_FILE.
 *
 * @public
 */
export const AGENT_TOKEN_FILE = '/etc/loco/agent/token';

/**
 * The body of every error answer (4xx and 5xx) of the agent.
 *
 * @public
 */
export interface AgentError {
  error: { name: string; message: string };
}
