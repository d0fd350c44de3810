// Every publishable package, packed the way it would be published, carries
// what an app needs to import it: built code and declarations (never the
// TypeScript sources), entry points that exist, every imported package
// declared, the compiled config schema, and for the backend the native
// relay's sources with a build that falls back to JavaScript.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  packedOnce,
  publishableWorkspaces,
  ROOT,
  run,
  tarballFiles,
  unpackAsInstalled,
  type PackedWorkspace,
} from './support/packWorkspaces.ts';

let packed: PackedWorkspace[] = [];
let project = '';

const installed = (name: string) => path.join(project, 'node_modules', name);
const manifestOf = (name: string) =>
  JSON.parse(
    fs.readFileSync(path.join(installed(name), 'package.json'), 'utf8'),
  );

/** Every file path a package.json points at (main, module, types, exports, typesVersions). */
function entryTargets(pkg: any): string[] {
  const targets: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object')
      // `backstage` is a condition naming the feature type, not a file.
      Object.entries(value).forEach(
        ([key, v]) => key !== 'backstage' && collect(v),
      );
  };
  collect([pkg.main, pkg.module, pkg.types, pkg.exports, pkg.typesVersions]);
  return targets
    .filter(t => t.startsWith('.') || t.includes('/'))
    .map(t => t.replace(/^\.\//, ''));
}

/** Bare package names a built file imports or requires. */
function importedPackages(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...source.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...source.matchAll(/^import\s*['"]([^'"]+)['"]/gm),
  ].map(m => m[1]);
  return specifiers
    .filter(s => !s.startsWith('.') && !s.startsWith('node:'))
    .map(s =>
      s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0],
    )
    .filter(s => !builtinModules.includes(s));
}

function builtFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(e => e.isFile() && /\.(c|m)?js$/.test(e.name))
    .map(e => path.join(e.parentPath, e.name));
}

describe('packed packages', { timeout: 10 * 60_000 }, () => {
  before(() => {
    const workspaces = publishableWorkspaces();
    assert.ok(workspaces.length >= 6, 'the six Loco packages are publishable');
    packed = packedOnce(workspaces);
    project = unpackAsInstalled(packed);
  });

  test('hold built code and declarations, never sources', () => {
    for (const p of packed) {
      const files = tarballFiles(p.tarball);
      assert.deepEqual(
        files.filter(f => f.startsWith('src/')),
        [],
        `${p.name} ships no src/`,
      );
      assert.ok(
        files.includes('dist/index.d.ts'),
        `${p.name}: dist/index.d.ts`,
      );
      assert.ok(files.includes('README.md'), `${p.name}: README.md`);
      const pkg = manifestOf(p.name);
      assert.match(pkg.main, /^(\.\/)?dist\/index\.(cjs|esm)\.js$/, p.name);
      assert.match(pkg.types, /^(\.\/)?dist\/index\.d\.ts$/, p.name);
      for (const target of entryTargets(pkg)) {
        assert.ok(
          fs.existsSync(path.join(installed(p.name), target)),
          `${p.name} points at ${target}, which the tarball lacks`,
        );
        assert.doesNotMatch(target, /(^|\/)src\//, `${p.name}: ${target}`);
      }
    }
  });

  test('declare every package their built code imports', () => {
    for (const p of packed) {
      const pkg = manifestOf(p.name);
      const declared = new Set([
        p.name,
        ...Object.keys(pkg.dependencies ?? {}),
        ...Object.keys(pkg.peerDependencies ?? {}),
        ...Object.keys(pkg.optionalDependencies ?? {}),
      ]);
      const undeclared = new Set<string>();
      for (const file of builtFiles(path.join(installed(p.name), 'dist'))) {
        for (const name of importedPackages(fs.readFileSync(file, 'utf8'))) {
          if (!declared.has(name)) undeclared.add(`${name} (${file})`);
        }
      }
      assert.deepEqual(
        [...undeclared],
        [],
        `${p.name} imports undeclared packages`,
      );
    }
  });

  test('carry the compiled config schema where the package has config', () => {
    for (const p of packed) {
      if (!fs.existsSync(path.join(ROOT, p.dir, 'config.d.ts'))) continue;
      const pkg = manifestOf(p.name);
      assert.equal(pkg.configSchema, 'config.schema.json', p.name);
      const schema = JSON.parse(
        fs.readFileSync(
          path.join(installed(p.name), 'config.schema.json'),
          'utf8',
        ),
      );
      assert.equal(schema.type, 'object', `${p.name}: a JSON schema`);
    }
  });

  test('backend packages load with plain Node and export a Backstage feature', () => {
    for (const p of packed.filter(w => w.role?.startsWith('backend-plugin'))) {
      const out = run(
        process.execPath,
        [
          '-e',
          `process.stdout.write(String(require(${JSON.stringify(
            p.name,
          )}).default?.$$type))`,
        ],
        { cwd: project },
      );
      assert.equal(out, '@backstage/BackendFeature', p.name);
      assert.equal(
        manifestOf(p.name).backstage.features['.'],
        '@backstage/BackendFeature',
      );
    }
  });

  test('the common library loads as CommonJS and as an ES module', () => {
    const common = '@loco-portal/plugin-loco-common';
    const script = `
      const cjs = require(${JSON.stringify(common)});
      import(${JSON.stringify(common)}).then(esm => process.stdout.write(
        JSON.stringify([cjs.LOCO_ENVIRONMENT_ANNOTATION, esm.LOCO_ENVIRONMENT_ANNOTATION])));`;
    const [fromCjs, fromEsm] = JSON.parse(
      run(process.execPath, ['-e', script], { cwd: project }),
    );
    assert.equal(fromCjs, 'loco.dev/environment');
    assert.equal(fromEsm, fromCjs);
  });

  test('an app type-checks against the published declarations, both frontend systems', () => {
    const consumer = path.join(project, 'consumer.tsx');
    fs.writeFileSync(
      consumer,
      [
        "import locoBackend from '@loco-portal/plugin-loco-backend';",
        "import catalogModuleLoco from '@loco-portal/plugin-catalog-backend-module-loco';",
        "import scaffolderModuleLoco from '@loco-portal/plugin-scaffolder-backend-module-loco';",
        "import { locoRuntimeServiceRef } from '@loco-portal/plugin-loco-node';",
        "import { LOCO_ENVIRONMENT_ANNOTATION } from '@loco-portal/plugin-loco-common';",
        "import { EntityLocoContent, EntityLocoHealthCard, isLocoAvailable } from '@loco-portal/plugin-loco';",
        "import locoPlugin from '@loco-portal/plugin-loco/alpha';",
        'export const legacy = [<EntityLocoContent />, <EntityLocoHealthCard />, isLocoAvailable];',
        'export const features = [locoBackend, catalogModuleLoco, scaffolderModuleLoco, locoPlugin];',
        'export const shared = [locoRuntimeServiceRef, LOCO_ENVIRONMENT_ANNOTATION];',
        '',
      ].join('\n'),
    );
    run('npx', [
      'tsc',
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--jsx',
      'react-jsx',
      '--module',
      'esnext',
      '--moduleResolution',
      'bundler',
      '--target',
      'es2022',
      '--types',
      'node',
      consumer,
    ]);
  });

  describe('the backend tarball', () => {
    const backend = '@loco-portal/plugin-loco-backend';

    test('holds the native relay sources its install script compiles', () => {
      const files = tarballFiles(packed.find(p => p.name === backend)!.tarball);
      for (const f of [
        'native/build.mjs',
        'native/splice_relay.c',
        'native/relay.c',
        'native/relay.h',
      ]) {
        assert.ok(files.includes(f), `${backend} lacks ${f}`);
      }
      assert.equal(
        manifestOf(backend).scripts.install,
        'node native/build.mjs',
      );
    });

    test('holds the database migrations its public badges need', () => {
      const files = tarballFiles(packed.find(p => p.name === backend)!.tarball);
      const ours = fs.readdirSync(
        path.join(ROOT, 'plugins/loco-backend/migrations'),
      );
      assert.ok(ours.length > 0);
      for (const f of ours) {
        assert.ok(
          files.includes(`migrations/${f}`),
          `${backend} lacks migrations/${f}`,
        );
      }
    });

    test('installs without a C compiler: the gateway keeps its JavaScript relay', () => {
      const dir = installed(backend);
      fs.rmSync(path.join(dir, 'native/build'), {
        recursive: true,
        force: true,
      });
      const result = spawnSync(process.execPath, ['native/build.mjs'], {
        cwd: dir,
        env: { ...process.env, CC: '/nonexistent/cc' },
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /will use its JavaScript relay/);
      assert.ok(
        !fs.existsSync(path.join(dir, 'native/build/splice_relay.node')),
      );
    });

    const hasCompiler = spawnSync('cc', ['--version']).status === 0;
    test(
      'with a C compiler, builds the relay from the tarball alone',
      { skip: !hasCompiler && 'no C compiler (cc) on this machine' },
      () => {
        const dir = installed(backend);
        run(process.execPath, ['native/build.mjs', '--required'], { cwd: dir });
        const out = run(
          process.execPath,
          [
            '-e',
            "process.stdout.write(typeof require('./native/build/splice_relay.node').Relay)",
          ],
          { cwd: dir },
        );
        assert.equal(out, 'function');
      },
    );
  });
});
