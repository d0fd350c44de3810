#!/usr/bin/env bash
# `npm start`: install what is missing, build the demo disk and the app, then run
# one backend process serving the portal, the API and the VNC gateway on :7007.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

bash "$LOCO_ROOT/scripts/bootstrap.sh"
source "$LOCO_ROOT/scripts/lib/env.sh"   # pick up a freshly installed Node 22
bash "$LOCO_ROOT/scripts/prepare.sh"

log "starting Loco Portal on http://localhost:7007 (Ctrl-C stops it and every emulator)"
cd "$LOCO_ROOT/packages/backend"
exec node --require @backstage/cli-node/config/nodeTransform.cjs src/index.ts \
  --config ../../app-config.yaml "$@"
