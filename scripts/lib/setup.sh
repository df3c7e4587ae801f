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

# Fuzzing (scripts/fuzz): libFuzzer through cargo-fuzz needs a nightly
# toolchain; cargo-fuzz is pinned into the project's tool root.
CARGO_FUZZ_VERSION="${CARGO_FUZZ_VERSION:-0.13.2}"
CARGO_FUZZ_ROOT="${CARGO_FUZZ_ROOT:-${CARGO_HOME:-$HOME/.cargo}/posting-enricher-tools/cargo-fuzz}"

ensure_nightly() {
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        echo "== installing the nightly toolchain (for cargo fuzz)"
        rustup toolchain install nightly --profile minimal
    fi
}

ensure_cargo_fuzz() {
    if [ -x "$CARGO_FUZZ_ROOT/bin/cargo-fuzz" ]; then
        return 0
    fi
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION into $CARGO_FUZZ_ROOT"
    cargo install cargo-fuzz --version "=$CARGO_FUZZ_VERSION" --locked --root "$CARGO_FUZZ_ROOT"
}
