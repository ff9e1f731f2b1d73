#!/bin/sh
# Runs the server with the memory settings it is tuned for (docs/performance.md, "Memory"):
# `npm start` runs this, and so does the gateway benchmark (bench/gateway/run.ts). `exec`, so
# signals reach Node itself. From the repository's root, with Node >= 22.22 on PATH (otherwise:
# sh scripts/node24.sh sh scripts/serve.sh).
#
#   NODE_COMPILE_CACHE         Node keeps the type-stripped, compiled modules on disk, so later
#                              starts skip the type stripper (about 20 MB) and start faster.
#                              NODE_DISABLE_COMPILE_CACHE=1 turns it off.
#   --max-semi-space-size=8    V8's young generation at most 2 x 8 MB, instead of sized from the
#                              machine's memory (2 x 32 MB on a 24 GB host).
#   --no-compilation-cache     V8 would keep the code of every large function compiled from text,
#                              which is what each caller's JSON Schema becomes (ajv), until memory
#                              runs short: 137 MB after 1,000 distinct schemas of 150 properties
#                              (1 MB with the flag). The server compiles nothing else from text.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-${TMPDIR:-/tmp}/node-compile-cache}"
exec node --max-semi-space-size=8 --no-compilation-cache server/main.ts "$@"
