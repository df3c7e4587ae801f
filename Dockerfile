# posting-enricher container image.
#
#   docker build -t posting-enricher:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#
# Two stages: a Rust builder (librdkafka, OpenSSL, zstd are compiled from
# source by the rdkafka crate) and a small Debian runtime that holds only the
# binary, the default config and the data notices. All reference data is
# embedded in the binary at build time (include_bytes!), so the runtime needs
# no data files. See deploy/README.md.
#
# Base images are pinned by tag. To pin by digest as well, resolve the digests
# on a machine with registry access (`docker buildx imagetools inspect IMAGE`)
# and write them as `FROM IMAGE:TAG@sha256:...`.

# ---------------------------------------------------------------- builder ---
FROM rust:1.95-slim-bookworm AS builder

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# rdkafka features ssl-vendored, zstd, libz: OpenSSL's Configure needs perl
# and make; librdkafka's configure/make need a C toolchain (build-essential);
# libz-sys finds the system zlib through pkg-config (linked dynamically, so
# the runtime stage carries zlib1g). No cmake or python is needed.
# Debian package versions are not pinned: bookworm point releases replace
# them, and the image tag above already fixes the distribution.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential \
        perl \
        pkg-config \
        zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# 1) Dependencies only: this layer is rebuilt when Cargo.toml, Cargo.lock or
#    build.rs change, not when the sources do. Every explicit target in
#    Cargo.toml ([lib], [[bin]], [[bench]]) must exist for cargo to read the
#    manifest, so each gets a placeholder.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs \
    && echo '' > src/lib.rs \
    && echo 'fn main() {}' > benches/enrich.rs \
    && echo 'fn main() {}' > benches/e2e.rs \
    && cargo build --release --locked --bin posting-enricher \
    && rm -rf src benches

# 2) The real sources and the data they embed. COPY keeps the files' own
#    modification times, which may be older than the placeholder build, so
#    touch them: otherwise cargo could take the placeholder crate as fresh,
#    and build.rs would keep the data hashes it made without the data (all
#    zeros: the build fails if the reference versions show them).
COPY src ./src
COPY benches ./benches
COPY data ./data
COPY config ./config
COPY schemas ./schemas
RUN find src benches data config -type f -exec touch {} + \
    && cargo build --release --locked --bin posting-enricher \
    && install -D -m 0755 target/release/posting-enricher /out/posting-enricher \
    && /out/posting-enricher --version | grep '^posting-enricher ' \
    && /out/posting-enricher validate-config config/default.toml > /tmp/validated \
    && ! grep 'sha256:0000000000000000' /tmp/validated

# ---------------------------------------------------------------- runtime ---
# debian:bookworm-slim rather than distroless/cc: the binary links libz.so.1
# dynamically (distroless/cc has no zlib), and TLS to a broker needs the CA
# bundle from ca-certificates. OpenSSL itself is linked in statically.
FROM debian:bookworm-slim AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="posting-enricher" \
      org.opencontainers.image.description="Kafka consumer-group worker that enriches schema.org JobPosting events: description sections, geo, salary." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/posting-enricher" \
      org.opencontainers.image.documentation="https://example.invalid/posting-enricher/deploy/README.md" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 posting-enricher \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin posting-enricher

COPY --from=builder /out/posting-enricher /usr/local/bin/posting-enricher
# The defaults, as the config the CMD below reads; a deployment mounts its
# own file over /etc/posting-enricher/config.toml (Kubernetes: a ConfigMap).
COPY --from=builder /src/config/default.toml /etc/posting-enricher/config.toml
# Licences and attribution of the embedded reference data (ECB, ISO codes,
# geo boundaries and places).
COPY --from=builder /src/data/README.md /usr/share/doc/posting-enricher/data-README.md

USER 10001:10001

# /metrics, /health/live, /health/ready (telemetry.listen).
EXPOSE 9464

# SIGTERM: stop consuming, drain, commit, leave the group, exit 0 within
# worker.shutdown_timeout (30 s); a second signal exits at once. The binary
# is PID 1 and handles the signals itself (it starts no child processes).
STOPSIGNAL SIGTERM

# No HEALTHCHECK: the image has no HTTP client (curl, wget) to call the
# health endpoints with. Orchestrators probe over HTTP instead: Kubernetes
# httpGet on /health/live and /health/ready, port 9464 (deploy/kubernetes).
HEALTHCHECK NONE

ENTRYPOINT ["posting-enricher"]
CMD ["run", "--config", "/etc/posting-enricher/config.toml"]
