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
