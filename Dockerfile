# syntax=docker/dockerfile:1

# Build: a static binary, so the final image needs no libc.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, in their own layer: it is rebuilt only when go.mod or go.sum
# change, not on every source edit.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not in the build context (.dockerignore), so go build cannot stamp
# the revision: the version comes in as a build argument instead, e.g.
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) .
# `multaque version`, the starting log line and multaque_build_info show it.
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags="-s -w -X main.version=${VERSION}" -o /out/multaque ./cmd/multaque
# distroless has no shell to mkdir or chown in, so the data directory is made
# here and copied over with the nonroot user's ownership.
RUN mkdir -p /out/data

# Run: no shell, no package manager, a non-root user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/multaque /app/multaque
COPY configs/ /app/configs/
COPY --from=build --chown=65532:65532 /out/data /data

# The database lives on the volume. A named volume starts with the ownership
# above; a bind-mounted host directory must be writable by uid 65532.
# /healthz (liveness), /readyz (readiness) and /metrics must be reachable
# from outside the container for the orchestrator's probes, while the config
# file's default is loopback only.
ENV MULTAQUE_DATA_PATH=/data/multaque.db \
    MULTAQUE_HTTP_ADDR=:9090 \
    MULTAQUE_LOG_FORMAT=json
VOLUME ["/data"]

# 8443: the webhook (webhook mode only). 9090: /healthz, /readyz, /metrics.
EXPOSE 8443 9090
USER nonroot:nonroot

# The bot token and webhook secret come from the environment at run time
# (docker run -e MULTAQUE_TELEGRAM_TOKEN=...), never from the image.
ENTRYPOINT ["/app/multaque"]
CMD ["serve", "--config", "/app/configs/config.yaml"]
