# The loragate app (the Probot server; the GPU runners have their own image, runners/Dockerfile).
#   docker build -t loragate .
#   docker run -d --name loragate --restart on-failure --env-file .env \
#     -e PRIVATE_KEY_PATH=/run/secrets/loragate.pem -v /etc/loragate/app.pem:/run/secrets/loragate.pem:ro \
#     -p 3000:3000 loragate
# Stateless: run one container, or several behind one URL (docs/operator-guide.md).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the app never loads the harness (node-llama-cpp) or tree-sitter's native build.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# The runtime keeps no optional packages: those are llama.cpp's prebuilt binaries (about 700 MB), which
# the app never loads (test/deploy.test.ts starts the app from this stage's files alone).
RUN npm run -s build && npm prune --omit=dev --omit=optional --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 LOG_FORMAT=json
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY app.yml ./
USER node
EXPOSE 3000
# node itself as PID 1 gets SIGTERM: the app stops taking deliveries and finishes its work in flight.
CMD ["node", "dist/app/main.js"]
