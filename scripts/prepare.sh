#!/usr/bin/env bash
# Builds what the running portal needs and skips what is already up to date:
# the free demo disk image and the production app bundle.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

demo_disk="$LOCO_ROOT/.cache/images/loco-demo.qcow2"
if [[ ! -f "$demo_disk" || "$LOCO_ROOT/emulator-image/demo-disk" -nt "$demo_disk" ]] \
  || [[ -n "$(find "$LOCO_ROOT/emulator-image/demo-disk" -newer "$demo_disk" -print -quit)" ]]; then
  log "building the demo disk image"
  bash "$LOCO_ROOT/emulator-image/demo-disk/build.sh" "$demo_disk"
fi

app_index="$LOCO_ROOT/packages/app/dist/index.html"
if [[ ! -f "$app_index" ]] || [[ -n "$(find "$LOCO_ROOT/packages/app/src" "$LOCO_ROOT/plugins/loco/src" \
  "$LOCO_ROOT/plugins/loco-common/src" "$LOCO_ROOT/packages/app/config.d.ts" "$LOCO_ROOT/app-config.yaml" -newer "$app_index" -print -quit)" ]]; then
  log "building the app"
  (cd "$LOCO_ROOT/packages/app" && npx backstage-cli package build --config ../../app-config.yaml)
fi
