import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import { oneChangeAtATime } from './environmentLock';

/** One change that passed every check the real run makes; nothing has run yet. */
export interface Plan {
  /** What `apply` does, e.g. "destroy local environment x" (task log and dry run). */
  description: string;
  apply(): Promise<void>;
}

/**
 * The one path of every change: `prepare` makes every check the real run
 * makes (read-only: it may ask the runtime or the cluster, it changes
 * nothing) and returns the plan. A dry run stops after it, so it fails exactly
 * where and how the real run would; a real run then applies the plan.
 *
 * A real run prepares inside the checkpoint: a recovered task whose step
 * already succeeded skips the checks too (a destroy must not fail because its
 * environment is already gone). It holds the environment's lock from its
 * checks to the end of its change (a dry run changes nothing and waits for
 * no one).
 */
export async function carryOut(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ctx: ActionContext<any, any>,
  step: { environment: string; checkpoint: string },
  prepare: () => Promise<Plan>,
): Promise<void> {
  if (ctx.isDryRun) {
    const plan = await prepare();
    ctx.logger.info(`Dry run: would ${plan.description}`);
    return;
  }
  await oneChangeAtATime(step.environment, ctx.logger, () =>
    ctx.checkpoint({
      key: step.checkpoint,
      fn: async () => {
        const plan = await prepare();
        ctx.logger.info(`Going to ${plan.description}`);
        await plan.apply();
      },
    }),
  );
}
