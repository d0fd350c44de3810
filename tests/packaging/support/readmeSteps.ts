// The install steps of our package READMEs, read from their code blocks, so
// that an app wired by these steps fails the test when a README lacks a step
// or gets one wrong.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './packWorkspaces.ts';

/** The READMEs an app follows to add the plugin set (loco-node and loco-common come with them). */
export const INSTALL_READMES = [
  'plugins/loco/README.md',
  'plugins/loco-backend/README.md',
  'plugins/catalog-backend-module-loco/README.md',
  'plugins/scaffolder-loco/README.md',
].map(f => path.join(ROOT, f));

/** Where the local runtime's configuration is documented. */
export const CONFIG_README = path.join(ROOT, 'plugins/loco-node/README.md');

export interface CodeBlock {
  lang: string;
  body: string;
  /** The paragraph just before the block, which says what it is for. */
  intro: string;
}

export function codeBlocks(file: string): CodeBlock[] {
  const text = fs.readFileSync(file, 'utf8');
  const blocks: CodeBlock[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of text.matchAll(fence)) {
    const before = text.slice(0, m.index).trimEnd();
    const intro = before.slice(before.lastIndexOf('\n\n') + 2);
    blocks.push({ lang: m[1], body: m[2], intro });
  }
  return blocks;
}

export interface InstallCommand {
  readme: string;
  workspace: string;
  packages: string[];
}

/** `npm install --workspace <ws> <packages…>` lines of the `sh` blocks. */
export function installCommands(file: string): InstallCommand[] {
  return codeBlocks(file)
    .filter(b => b.lang === 'sh')
    .flatMap(b => b.body.split('\n'))
    .map(line =>
      /^npm install --workspace (\S+) ((?:@[\w.-]+\/[\w.-]+ ?)+)$/.exec(
        line.trim(),
      ),
    )
    .filter(m => m !== null)
    .map(m => ({
      readme: file,
      workspace: m[1],
      packages: m[2].trim().split(/\s+/),
    }));
}

/** The `backend.add(import('…'));` lines of the `ts` blocks for packages/backend/src/index.ts. */
export function backendAdditions(file: string): string[] {
  return codeBlocks(file)
    .filter(
      b =>
        b.lang === 'ts' && b.body.includes('// packages/backend/src/index.ts'),
    )
    .flatMap(b => b.body.split('\n'))
    .filter(line => /^backend\.add\(import\('[^']+'\)\);$/.test(line.trim()));
}

/** `json` blocks that are fields of the app's root package.json (e.g. `"allowScripts": …`). */
export function rootManifestFields(file: string): Record<string, unknown>[] {
  return codeBlocks(file)
    .filter(b => b.lang === 'json' && /root `package\.json`/.test(b.intro))
    .map(b => JSON.parse(`{${b.body}}`));
}

/** The `yaml` block the README introduces as the configuration for `app-config.yaml`. */
export function appConfigBlock(file: string): string {
  const block = codeBlocks(file).find(
    b => b.lang === 'yaml' && /configure .*in `app-config\.yaml`/.test(b.intro),
  );
  if (!block) throw new Error(`${file} shows no app-config.yaml block`);
  return block.body;
}

/** The scaffolder action ids the scaffolder module's README documents. */
export function documentedActions(): string[] {
  const text = fs.readFileSync(
    path.join(ROOT, 'plugins/scaffolder-loco/README.md'),
    'utf8',
  );
  return [
    ...new Set([...text.matchAll(/`(loco:[a-z-]+:[a-z-]+)`/g)].map(m => m[1])),
  ];
}
