# One image for every service; the command picks which one runs (see docker-compose.yml).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && node -e "new (require('better-sqlite3'))(':memory:').close()"

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production MODE=distributed
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.base.json ./
COPY tools/register.js tools/swc-options.js ./tools/
COPY libs ./libs
COPY services ./services
COPY apps ./apps
COPY tools/start-distributed.js ./tools/start-distributed.js
# DATA_DIR: SQLite stores when EVENTSTORE_URL is unset, and the generated JWT secret when JWT_SECRET is unset.
RUN mkdir -p /app/data && chown node:node /app/data
ENV DATA_DIR=/app/data
# tools/register.js caches each transpiled file; node_modules is not writable by the node user.
ENV TS_CACHE_DIR=/tmp/concert-ts
USER node
EXPOSE 3000
CMD ["node", "-r", "./tools/register.js", "apps/distributed/src/main.ts", "gateway"]
