# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies, then drop what production never loads.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY bin ./bin
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` runs the prepare script, which builds dist/.
RUN npm ci --no-audit --no-fund
# The sandbox (stand-ins of GitHub, Cloudflare and Slack for `tunnelbot demo` and the tests) is not production code;
# in the image `tunnelbot demo` answers TB_ERR_SANDBOX_UNAVAILABLE instead.
RUN rm -rf dist/sandbox && find dist -name '*.map' -delete

# Runtime stage: production dependencies and the compiled output only, as an unprivileged user.
FROM node:22-bookworm-slim
LABEL org.opencontainers.image.source="https://github.com/tunnelbot/tunnelbot" \
      org.opencontainers.image.description="Slack chat-ops for Cloudflare Tunnels on FluxCD" \
      org.opencontainers.image.licenses="Apache-2.0"
# Idle memory (npm run bench -- cli-startup: serve-startup.socketModeImage, read 15 s after ready). V8 grows its
# young generation to 16 MiB semi-spaces while serve starts and keeps them; 2 MiB ones cost a few more scavenges
# under load (about 3 µs per webhook). glibc raises its mmap and trim thresholds as start-up frees large blocks (V8's
# compiler zones) and then keeps what is freed; fixed 32 KiB thresholds give it back, for no CPU time measurable per
# webhook. Apart, each saves little of what the other leaves; together serve idles at about 75 MiB instead of 100
# (medians of 7 runs each on Node 20).
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=2 \
    MALLOC_MMAP_THRESHOLD_=32768 MALLOC_TRIM_THRESHOLD_=32768
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Loading the command table proves no production module needs the sandbox or a dev dependency.
RUN node bin/tunnelbot.js --help >/dev/null
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it (deploy/ runs as 1000:1000 too).
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/tunnelbot.js"]
CMD ["serve"]
