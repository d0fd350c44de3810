import type {
  AuditorService,
  AuditorServiceCreateEventOptions,
} from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';

type Meta = NonNullable<AuditorServiceCreateEventOptions['meta']>;

/**
 * The audit events of the loco:environment:* and loco:snapshot:* actions (kebab-case, as Backstage asks).
 *
 * @public
 */
export const AUDIT_EVENTS = {
  create: 'loco-environment-create',
  update: 'loco-environment-update',
  destroy: 'loco-environment-destroy',
  publish: 'loco-snapshot-publish',
} as const;

/** Input keys recorded as the run was asked for, under their meta names. */
const REQUESTED = {
  name: 'environment',
  runtime: 'runtime',
  instances: 'instances',
  storageMode: 'storageMode',
  snapshotTag: 'snapshotTag',
  cluster: 'cluster',
  namespace: 'namespace',
  owner: 'owner',
  index: 'instance',
  tag: 'snapshotTag',
} as const;

// A refused input may be anything: strings are cut at the length Backstage's
// scaffolder cuts task parameters in its own audit events by default
// (scaffolder.auditor.taskParameterMaxLength).
const MAX_VALUE_LENGTH = 256;

function recordable(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH
    ? `${text.slice(0, MAX_VALUE_LENGTH)}...<truncated>`
    : text;
}

function requested(input: unknown): Meta {
  const meta: Meta = {};
  const raw = (input ?? {}) as Record<string, unknown>;
  for (const [key, metaKey] of Object.entries(REQUESTED)) {
    const value = recordable(raw[key]);
    if (value !== undefined) meta[metaKey] = value;
  }
  return meta;
}

/** What a run adds to its event once it knows it (defaults applied, the cluster chosen). */
export interface AuditRecord {
  record(meta: Record<string, string | number | boolean | undefined>): void;
}

/**
 * Runs one action invocation as one audit event: created before anything is
 * checked (so refused inputs and denied users are recorded too), then
 * `success` or `fail` with the error. The auditor's own actor is the
 * scaffolder's service identity, so the user who started the task goes into
 * `meta.actor`. Dry runs are recorded as well, at low severity.
 */
export async function audited(
  auditor: AuditorService,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ctx: ActionContext<any, any>,
  eventId: (typeof AUDIT_EVENTS)[keyof typeof AUDIT_EVENTS],
  run: (audit: AuditRecord) => Promise<void>,
): Promise<void> {
  const event = await auditor.createEvent({
    eventId,
    severityLevel: ctx.isDryRun ? 'low' : 'medium',
    meta: {
      actor: ctx.user?.ref ?? null,
      dryRun: Boolean(ctx.isDryRun),
      taskId: ctx.task?.id ?? null,
      template: ctx.templateInfo?.entityRef ?? null,
      ...requested(ctx.input),
    },
  });
  const resolved: Meta = {};
  const audit: AuditRecord = {
    record(meta) {
      for (const [key, value] of Object.entries(meta)) {
        if (value !== undefined) resolved[key] = value;
      }
    },
  };
  try {
    await run(audit);
  } catch (error) {
    await event.fail({ meta: resolved, error: toError(error) as Error });
    throw error;
  }
  await event.success({ meta: resolved });
}
