# The webhook image the chart runs: node /app/dist/cli/main.js serve --config ...
# Runs as the non-root user 65532 with a read-only root filesystem (the chart's securityContext).
FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:26-trixie-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY examples ./examples
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve"]
