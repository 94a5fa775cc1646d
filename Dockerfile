# syntax=docker/dockerfile:1
#
# One image holds all four services; the container's command chooses which one runs:
#
#   node dist/apps/<app>/apps/<app>/src/main.js           (auth-service, webhook-ingress,
#                                                           sync-worker, notification-service)
#   node dist/libs/entities/libs/entities/src/cli/migrate.js   (the schema migration, one-shot)
#
# Why one image and not `ARG APP` (one image per app): the four services share every lib, every
# runtime package and the database schema, and they are released together (a migration and the
# code that needs it go out as one). One build gives one digest that CI tests once and every
# environment promotes as is; the migration Job runs the very code the services were built from.
# Four images would cost four builds of the same node_modules for no isolation gain: the
# services' own code is a few hundred kilobytes beside it.
#
# The default target (`runtime`, the last stage) is the production image and holds no GHL
# sandbox. `--target sandbox` adds it, for docker-compose and tests only.
#
# No HEALTHCHECK here: the orchestrators probe /health/live and /health/ready themselves
# (docker-compose.yml, k8s/*.yaml), each on the port it gives the service.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- every dependency, for the build -------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
# No install-time telemetry (swagger-ui-dist's postinstall would report otherwise).
ENV DO_NOT_TRACK=1
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- type-check and compile the services and the migration entry --------------------------------
FROM deps AS build
COPY tsconfig.base.json nx.json ./
COPY tools/build ./tools/build
COPY libs ./libs
COPY apps ./apps
COPY vendor ./vendor
RUN node tools/build/build-project.mjs apps/auth-service \
 && node tools/build/build-project.mjs apps/webhook-ingress \
 && node tools/build/build-project.mjs apps/sync-worker \
 && node tools/build/build-project.mjs apps/notification-service \
 && node tools/build/build-project.mjs libs/entities \
 && node tools/build/build-project.mjs apps/ghl-sandbox

# --- runtime packages only (no compilers, no test tools) ----------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
ENV DO_NOT_TRACK=1
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- what every runtime image shares --------------------------------------------------------------
FROM ${NODE_IMAGE} AS base
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps --chown=root:root /src/node_modules ./node_modules
COPY --chown=root:root package.json ./
# GHL's published webhook keys and specs are data the services read at run time.
COPY --chown=root:root vendor/ghl ./vendor/ghl
# The built-in automation templates (and their schema) are data the sync worker reads at boot.
COPY --chown=root:root templates ./templates
COPY --from=build --chown=root:root /src/dist/apps/auth-service ./dist/apps/auth-service
COPY --from=build --chown=root:root /src/dist/apps/webhook-ingress ./dist/apps/webhook-ingress
COPY --from=build --chown=root:root /src/dist/apps/sync-worker ./dist/apps/sync-worker
COPY --from=build --chown=root:root \
  /src/dist/apps/notification-service ./dist/apps/notification-service
COPY --from=build --chown=root:root /src/dist/libs/entities ./dist/libs/entities

# --- development and tests only: the same image plus the GHL sandbox -----------------------------
FROM base AS sandbox
COPY --from=build --chown=root:root /src/dist/apps/ghl-sandbox ./dist/apps/ghl-sandbox
# The files belong to root and are read-only for the process, which runs as the image's `node`
# user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
CMD ["node", "dist/apps/ghl-sandbox/apps/ghl-sandbox/src/main.js"]

# --- production (the default target) --------------------------------------------------------------
FROM base AS runtime
USER 1000:1000
# A container started without a command runs the auth service; every manifest names its
# service's main explicitly, so this default is only for `docker run <image>`.
CMD ["node", "dist/apps/auth-service/apps/auth-service/src/main.js"]
