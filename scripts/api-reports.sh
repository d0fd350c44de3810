#!/usr/bin/env bash
# `npm run build:api-reports [-- --ci]`: writes (or, with --ci, checks) each
# package's API report (plugins/*/report*.api.md) with Backstage's own
# @backstage/repo-tools. It is installed into .tools/ rather than the
# workspace: its lockfile entries would be a large part of package-lock.json
# for a tool only maintainers run. It requires 'prettier' as a peer, found in
# the workspace's node_modules through NODE_PATH.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"
cd "$LOCO_ROOT"

REPO_TOOLS_VERSION="0.19.1"
tools="$LOCO_ROOT/.tools/repo-tools"
if [[ "$(node -p "require('$tools/node_modules/@backstage/repo-tools/package.json').version" 2>/dev/null)" != "$REPO_TOOLS_VERSION" ]]; then
  log "installing @backstage/repo-tools@$REPO_TOOLS_VERSION into .tools/"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund \
    "@backstage/repo-tools@$REPO_TOOLS_VERSION" >/dev/null
fi

# API Extractor reads the declarations tsc writes to dist-types/; tsc writes
# them even when it reports type errors, which are the type-check's to report.
npx tsc || log "tsc reported errors; the reports use the declarations it wrote"
NODE_PATH="$LOCO_ROOT/node_modules" "$tools/node_modules/.bin/backstage-repo-tools" \
  api-reports --allow-all-warnings "$@" \
  plugins/loco-common plugins/loco-node plugins/loco-backend plugins/loco \
  plugins/catalog-backend-module-loco plugins/scaffolder-loco
