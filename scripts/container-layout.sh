#!/bin/sh
# Lays out OfficeLLM as its container image runs it, in DEST, from the source tree SRC (whose
# node_modules holds every dependency, dev ones included, to build the add-in): the server's
# TypeScript without its tests (Node 24 runs it directly, stripping the types), the add-in built
# for production, the manifest, package.json, the lockfile, the start script, an empty data/,
# and the production dependencies only.
#
# The Dockerfile's build stage runs this to make /app, and so does the container-layout test
# (deploy/test/container-layout.int.test.ts): what is tested is what is shipped.
#
#   sh scripts/container-layout.sh SRC DEST
#
#   OFFICELLM_DEPENDENCIES=ci     (default) npm ci --omit=dev in DEST, from the registry
#   OFFICELLM_DEPENDENCIES=copy   the same packages, copied from SRC/node_modules by the
#                                 lockfile (scripts/copy-production-dependencies.ts): no network
set -eu
src=$(cd "$1" && pwd)
mkdir -p "$2"
dest=$(cd "$2" && pwd)

mkdir -p "$dest/scripts" "$dest/addin" "$dest/data"
cp "$src/package.json" "$src/package-lock.json" "$src/manifest.xml" "$dest/"
cp "$src/scripts/serve.sh" "$dest/scripts/"
# The server, without its tests and test helpers (nothing the server runs imports them).
(cd "$src" && tar -cf - --exclude='*.test.ts' --exclude='server/test' server) | (cd "$dest" && tar -xf -)

# A production build of the add-in (React's production bundle), straight into the layout.
(cd "$src" && NODE_ENV=production node node_modules/vite/bin/vite.js build \
  --config addin/vite.config.ts --outDir "$dest/addin/dist" --emptyOutDir --logLevel warn)

case "${OFFICELLM_DEPENDENCIES:-ci}" in
  # No install scripts: better-sqlite3 ships prebuilt binaries; the others are banners. What npm's
  # cache holds is taken from there (a CI machine that has just run npm ci, a build cache mount):
  # the registry is asked only for what it lacks.
  ci) (cd "$dest" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline) ;;
  copy) node "$src/scripts/copy-production-dependencies.ts" "$src" "$dest" ;;
  *) echo "container-layout: OFFICELLM_DEPENDENCIES must be ci or copy" >&2; exit 1 ;;
esac
