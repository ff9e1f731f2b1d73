# syntax=docker/dockerfile:1
# OfficeLLM's container image (docs/deployment.md). Two stages: the build stage installs every
# dependency, builds the add-in and lays out /app with the production dependencies only; the
# runtime stage copies /app onto a clean Node 24 image and runs it as an unprivileged user.
# The layout comes from scripts/container-layout.sh, which the container-layout test runs too.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: none is needed (better-sqlite3 ships prebuilt binaries), and they would
# only install git hooks and print banners.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The add-in built, the server laid out, and `npm ci --omit=dev` in /app.
RUN sh scripts/container-layout.sh /src /app && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: it forwards SIGTERM to Node (which drains, server/shutdown.ts) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 officellm \
 && useradd --system --uid 10001 --gid officellm --home-dir /app --shell /usr/sbin/nologin officellm
WORKDIR /app
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /app/data && chown officellm:officellm /app/data
# Settings come from the environment at run time (docs/deployment.md); none is baked in.
# HOST: listen on every interface of the container, not only its loopback.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:/app/data/officellm.db \
    NODE_COMPILE_CACHE=/tmp/node-compile-cache
USER 10001:10001
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# serve.sh ends in `exec node`: Node is tini's direct child and receives its SIGTERM.
CMD ["sh", "scripts/serve.sh"]
