// Follows our READMEs' install steps in a generated app: their npm commands
// (with each package name standing for its packed tarball), their root
// package.json fields, their backend.add lines, and the runtime configuration
// the loco-node README shows.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, run, type PackedWorkspace } from './packWorkspaces.ts';
import { NPM_ENV, offerTarballs } from './realApp.ts';
import {
  appConfigBlock,
  backendAdditions,
  CONFIG_README,
  INSTALL_READMES,
  installCommands,
  rootManifestFields,
} from './readmeSteps.ts';

/** The demo disk scripts/prepare.sh builds. */
export const DEMO_DISK = path.join(ROOT, '.cache/images/loco-demo.qcow2');

/** The README's app-config block, as its own file next to app-config.yaml. */
export const LOCO_CONFIG = 'app-config.loco.yaml';

export interface WiringReport {
  /** `workspace: package` for each README install line. */
  installed: string[];
  backendLines: string[];
}

/** What the READMEs tell a user to do, done in `dir`; throws where they say too little. */
export function wireByReadmes(
  dir: string,
  packed: PackedWorkspace[],
): WiringReport {
  const tarballs = offerTarballs(dir, packed);
  const readmeOf = (name: string) =>
    path.join(ROOT, packed.find(p => p.name === name)!.dir, 'README.md');

  // Root package.json fields first: npm reads allowScripts while installing.
  const rootFile = path.join(dir, 'package.json');
  const root = JSON.parse(fs.readFileSync(rootFile, 'utf8'));
  for (const fields of INSTALL_READMES.flatMap(rootManifestFields)) {
    for (const [key, value] of Object.entries(fields)) {
      root[key] =
        typeof value === 'object' && value && typeof root[key] === 'object'
          ? { ...root[key], ...value }
          : value;
    }
  }
  fs.writeFileSync(rootFile, `${JSON.stringify(root, null, 2)}\n`);

  const installed: string[] = [];
  for (const command of INSTALL_READMES.flatMap(installCommands)) {
    const files = command.packages.map(name => {
      const tarball = tarballs.get(name);
      if (!tarball)
        throw new Error(`${command.readme} installs ${name}, never packed`);
      return tarball;
    });
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--workspace',
        command.workspace,
      ].concat(files),
      { cwd: dir, env: NPM_ENV },
    );
    installed.push(...command.packages.map(p => `${command.workspace}: ${p}`));
  }

  // Every backend plugin and module we publish must tell how to add it.
  const backendLines = INSTALL_READMES.flatMap(backendAdditions);
  for (const p of packed.filter(w => /^backend-plugin/.test(w.role))) {
    if (!backendLines.some(l => l.includes(`'${p.name}'`)))
      throw new Error(`${readmeOf(p.name)} has no backend.add line`);
  }
  const index = path.join(dir, 'packages/backend/src/index.ts');
  const source = fs.readFileSync(index, 'utf8');
  if (!source.includes('backend.start();'))
    throw new Error('the generated backend has no backend.start()');
  fs.writeFileSync(
    index,
    source.replace(
      'backend.start();',
      `${backendLines.join('\n')}\n\nbackend.start();`,
    ),
  );

  fs.writeFileSync(path.join(dir, LOCO_CONFIG), appConfigBlock(CONFIG_README));
  return { installed, backendLines };
}
