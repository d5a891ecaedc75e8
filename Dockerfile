# syntax=docker/dockerfile:1
# The `signup` service: the BFF (server/) serving the built SPA (client/dist).
#   docker build -t mlflow-signup .            production image (last stage)
#   docker build --target dev -t signup-dev .  toolchain only, for deploy/compose.override.yml (hot reload)
# The image holds no configuration and no secret: everything comes from the environment at run time.
ARG NODE_IMAGE=node:24-bookworm-slim

# pnpm at the version pinned by package.json's "packageManager" field.
FROM ${NODE_IMAGE} AS pnpm
ENV CI=true
WORKDIR /repo
COPY package.json ./
RUN npm install --global --no-fund --no-audit --no-update-notifier \
      "pnpm@$(node -p "require('./package.json').packageManager.replace(/^pnpm@/, '').split('+')[0]")" \
 && pnpm --version

# Install (lockfile only, never re-resolved), build both packages, then cut the server's production
# dependencies out with `pnpm deploy`.
FROM pnpm AS build
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc tsconfig.base.json ./
COPY server/package.json server/
COPY client/package.json client/
COPY tests/package.json tests/
RUN pnpm install --frozen-lockfile --filter ./server --filter ./client
COPY server/ server/
COPY client/ client/
RUN pnpm build \
 && test -f server/dist/main.js && test -f client/dist/index.html \
 && pnpm --filter ./server deploy --prod /out/server

# Development: the repository is bind-mounted at /repo and dependencies live in volumes (see
# deploy/compose.override.yml); runs as `node` so that files written into the checkout are not root's.
FROM pnpm AS dev
RUN install -d -o node -g node /repo/node_modules /repo/server/node_modules /repo/client/node_modules \
      /repo/tests/node_modules /home/node/.local/share/pnpm
USER node
ENV NODE_ENV=development
CMD ["sh", "-c", "pnpm install --frozen-lockfile --filter ./server --filter ./client && exec pnpm --filter ./server dev"]

# Production: only the compiled server, its production dependencies and the built client, owned by root
# and read-only for the unprivileged `node` user that runs them.
# Memory (measured by `pnpm bench`, see tests/bench/): V8's default heap sizing lets a busy BFF grow to
# ~350 MB of garbage it would only collect much later; a 1 MB young generation and a 64 MB old-space cap
# (the live heap is ~40 MB with 10,000 in-memory sessions, and in-memory sessions are bounded at 32 MB of
# JSON, see server/src/auth/session-store.ts) keep it near its working set, and two malloc arenas stop the
# thread pool's allocations (WebCrypto, zlib) from fragmenting one arena per thread.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    BASE_PATH=/signup \
    NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=64" \
    MALLOC_ARENA_MAX=2 \
    DATA_DIR=/data
WORKDIR /app
# The SQLite registry when no DATABASE_URL is set: mount a volume here (compose uses PostgreSQL instead).
RUN install -d -o node -g node /data
COPY --from=build /out/server/package.json server/package.json
COPY --from=build /out/server/node_modules server/node_modules
COPY --from=build /repo/server/dist server/dist
COPY --from=build /repo/client/dist client/dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The same production start command as CI's `pnpm start` (node dist/main.js in server/).
# The operator CLI is beside it: docker compose exec signup node server/dist/cli.js --help
CMD ["node", "server/dist/main.js"]
