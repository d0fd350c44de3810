import fs from 'node:fs';
import { readAgentConfig } from './agentConfig';
import { agentLogger } from './agentLogger';
import { serveAgent } from './agentServer';
import { EmulatorAgent } from './EmulatorAgent';

/**
 * The emulator image's entrypoint: one QEMU, supervised by the same code as a
 * local instance, plus the agent's HTTP port. SIGTERM (pod deletion, `docker
 * stop`) saves the running state if asked to, then stops the guest gracefully.
 */
async function main(): Promise<void> {
  const logger = agentLogger();
  let config;
  try {
    config = readAgentConfig(process.env);
  } catch (error) {
    logger.error(String((error as Error).message));
    process.exit(2);
  }
  const { tokenFile } = config;
  // Read on every control call: the chart's Secret volume follows a replaced token.
  // An unreadable file turns the control API off (503), never open.
  const token = () => {
    if (!tokenFile) return null;
    try {
      return fs.readFileSync(tokenFile, 'utf8').trim() || null;
    } catch {
      return null;
    }
  };
  if (!token()) logger.warn('no LOCO_AGENT_TOKEN_FILE: the control API is off');
  const agent = new EmulatorAgent(config, logger);
  const { server, port } = await serveAgent(agent, {
    listen: config.listen,
    token,
    labels: { environment: config.environment, instance: String(config.index) },
  });
  logger.info(`serving on port ${port}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping ${config.name}`);
    await agent.stop();
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  try {
    await agent.start();
  } catch (error) {
    logger.error(`cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
}

void main();
