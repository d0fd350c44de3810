import { execFile, spawn } from 'node:child_process';
import type { LoggerService } from '@backstage/backend-plugin-api';

/** Helm failed; `message` is Helm's own error text. */
export class HelmError extends Error {
  name = 'HelmError';
  constructor(message: string, readonly output: string) {
    super(message);
  }
}

/**
 * A logger that forwards to the caller's log (a scaffolder task's, or the
 * backend's) and keeps the tail of what it saw, so a failure can quote Helm's
 * own error text. stdout arrives as info, stderr as error.
 */
class RecordingLogger {
  private stdout = '';
  private stderr = '';
  constructor(private readonly target: LoggerService) {}
  info = (message: string) => {
    this.stdout = `${this.stdout}${message}\n`.slice(-16_384);
    this.target.info(message);
  };
  error = (message: string) => {
    this.stderr = `${this.stderr}${message}\n`.slice(-16_384);
    // Helm writes warnings to stderr too; they are not errors in the task log.
    this.target.warn(message);
  };
  /** Helm prints its failure as "Error: ..." on stderr; else the last lines of stderr. */
  errorText(): string {
    const lines = this.stderr
      .split('\n')
      .map(l => l.trim())
      .filter(Boolean);
    const errors = lines.filter(l => /^Error:/.test(l));
    return (errors.length ? errors : lines.slice(-3)).join('\n');
  }
  output() {
    return `${this.stdout}${this.stderr}`;
  }
}

export interface HelmCliOptions {
  binary: string;
  /** Flags selecting the cluster (`--kube-apiserver`, `--kubeconfig`, ...). */
  clusterArgs: string[];
  /** Extra environment: the cluster token goes here (HELM_KUBETOKEN), never on argv. */
  env: Record<string, string>;
}

/**
 * Runs the helm binary with argument arrays (never a shell). Commands that change
 * a release stream their output into the caller's log as it comes; read-only
 * queries capture stdout to parse it.
 */
export class HelmCli {
  constructor(private readonly options: HelmCliOptions) {}

  private env() {
    return { ...process.env, ...this.options.env };
  }

  /** Runs a mutating helm command; helm's output goes to `logger` (the task log). */
  async run(args: string[], logger: LoggerService): Promise<void> {
    const recorder = new RecordingLogger(logger);
    const fullArgs = [...args, ...this.options.clusterArgs];
    logger.info(`$ helm ${fullArgs.join(' ')}`);
    try {
      await this.stream(fullArgs, recorder);
    } catch (error) {
      const text = recorder.errorText() || String((error as Error).message);
      throw new HelmError(text, recorder.output());
    }
  }

  /** Spawns helm, handing each chunk of its output to `recorder` as it arrives. */
  private stream(args: string[], recorder: RecordingLogger): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.binary, args, { env: this.env() });
      const forward = (write: (m: string) => void) => (chunk: Buffer) => {
        const text = chunk.toString('utf8').trim();
        if (text) write(text);
      };
      child.stdout.on('data', forward(recorder.info));
      child.stderr.on('data', forward(recorder.error));
      child.once('error', error => {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          missing
            ? new Error(
                `Cannot run ${this.options.binary}: not found (set loco.helm.binary)`,
              )
            : error,
        );
      });
      child.once('close', code =>
        code === 0
          ? resolve()
          : reject(new Error(`helm exited with status ${code}`)),
      );
    });
  }

  /** Runs a read-only helm command and returns its stdout. */
  query(args: string[]): Promise<string> {
    const fullArgs = [...args, ...this.options.clusterArgs];
    return new Promise((resolve, reject) => {
      execFile(
        this.options.binary,
        fullArgs,
        { env: this.env(), maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) {
            const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
            const text = missing
              ? `Cannot run ${this.options.binary}: not found (set loco.helm.binary)`
              : String(stderr).trim() || error.message;
            reject(new HelmError(text, `${stdout}${stderr}`));
          } else {
            resolve(String(stdout));
          }
        },
      );
    });
  }
}
