# Idempotent installers shared by scripts/ (sourced, not run).
# Each one checks first and installs only what is missing.

ensure_rust_components() {
    if ! cargo fmt --version >/dev/null 2>&1; then
        rustup component add rustfmt
    fi
    if ! cargo clippy --version >/dev/null 2>&1; then
        rustup component add clippy
    fi
}

ensure_nextest() {
    if ! cargo nextest --version >/dev/null 2>&1; then
        echo "== installing cargo-nextest"
        cargo install cargo-nextest --locked
    fi
}

# The Kafka-API broker the integration tests run against (docs/decisions.md,
# "A real broker"). Pinned, built once into a fixed root under the cargo home
# so later runs on the same machine skip the 12-17 minute build.
TANSU_VERSION="${TANSU_VERSION:-0.6.0}"
TANSU_ROOT="${TANSU_ROOT:-${CARGO_HOME:-$HOME/.cargo}/posting-enricher-tools/tansu-$TANSU_VERSION}"
TANSU_BIN="$TANSU_ROOT/bin/tansu"

ensure_tansu() {
    if [ -x "$TANSU_BIN" ] && "$TANSU_BIN" --version >/dev/null 2>&1; then
        return 0
    fi
    echo "== installing tansu $TANSU_VERSION into $TANSU_ROOT (one-off, 12-17 minutes on 2 cores)"
    # dynostore: memory:// engine; libsql: sqlite:// (durable) engine.
    # Without features no storage engine is compiled in.
    cargo install tansu --version "=$TANSU_VERSION" --locked \
        --features dynostore,libsql --root "$TANSU_ROOT"
    "$TANSU_BIN" --version
}
