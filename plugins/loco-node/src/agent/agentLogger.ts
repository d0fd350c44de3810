import type { LoggerService } from '@backstage/backend-plugin-api';

/**
 * The agent's log: one line per message on stderr, which the container
 * runtime collects (`kubectl logs`). Metadata is appended as JSON.
 */
export function agentLogger(prefix = 'loco-agent'): LoggerService {
  const write = (level: string) => (message: string, meta?: Error | object) => {
    let extra = '';
    if (meta instanceof Error) extra = ` ${meta.message}`;
    else if (meta && Object.keys(meta).length > 0)
      extra = ` ${JSON.stringify(meta)}`;
    process.stderr.write(`${prefix} ${level}: ${message}${extra}\n`);
  };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: () => {},
    child: () => agentLogger(prefix),
  };
}
