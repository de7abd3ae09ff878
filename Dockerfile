# radgate container image. Build: docker build -t radgate .
# Run:   docker run --rm -p 1812:1812/udp -v /etc/radgate:/etc/radgate:ro -e RADGATE_REDIS_URL=redis://HOST:6379 radgate
# Or with its Redis: docker compose up -d (docker-compose.yml; README "Deployment").
# No redis-server in the image: point it at a Redis. The key file must be readable by uid 1000.
# Node 26 is the current Active LTS line; radgate itself supports Node >= 20.19.

FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci
COPY src ./src
RUN npm run build

FROM node:26-slim
ENV NODE_ENV=production
# tini as PID 1: it forwards SIGTERM (docker stop) and SIGHUP (docker kill -s HUP, a live
# reload) to radgate and reaps any child that exits; node as PID 1 would do neither.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY dictionaries ./dictionaries
COPY config ./config
# Unprivileged: binding 1812 needs no root (ports >= 1024).
USER node
EXPOSE 1812/udp
# The operations listener's /health, on loopback inside the container (ops.listen's default).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9812/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/cli/main.js"]
CMD ["serve", "--config", "/etc/radgate/radgate.yaml"]
