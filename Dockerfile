# radgate container image. Build: docker build -t radgate .
# Run:   docker run --rm -p 1812:1812/udp -v /etc/radgate:/etc/radgate:ro -e RADGATE_REDIS_URL=redis://HOST:6379 radgate
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
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY dictionaries ./dictionaries
COPY config ./config
# Unprivileged: binding 1812 needs no root (ports >= 1024).
USER node
EXPOSE 1812/udp
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve", "--config", "/etc/radgate/radgate.yaml"]
