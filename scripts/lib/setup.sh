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

# Apache Kafka, the broker every real-broker test and benchmark runs on
# (docs/decisions.md, "Apache Kafka from Maven Central"). Its jars come
# from Maven Central through scripts/kafka/pom.xml into a fixed root under
# the cargo home, and a marker file says the copy finished; a later run on
# the same machine finds it and skips the download. Maven's own cache lives
# in the same root, so nothing is written to ~/.m2.
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_ROOT="${KAFKA_ROOT:-${CARGO_HOME:-$HOME/.cargo}/posting-enricher-tools/kafka-$KAFKA_VERSION}"
# Named by its full coordinates: the short prefix `dependency:` needs a
# plugin-group lookup that is not always answered here.
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

ensure_java() {
    if ! java -version >/dev/null 2>&1; then
        echo "Java 17 or later is needed for the Apache Kafka broker (java not found)" >&2
        return 1
    fi
    if ! mvn -v >/dev/null 2>&1; then
        echo "Maven is needed to fetch the Apache Kafka broker (mvn not found)" >&2
        return 1
    fi
}

ensure_kafka() {
    KAFKA_LIBS="$KAFKA_ROOT/libs"
    if [ -f "$KAFKA_ROOT/complete" ] && [ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
        return 0
    fi
    ensure_java
    echo "== installing Apache Kafka $KAFKA_VERSION (broker jars from Maven Central) into $KAFKA_ROOT"
    local started=$SECONDS
    rm -rf "$KAFKA_LIBS.partial"
    mkdir -p "$KAFKA_ROOT"
    mvn -B -q -f scripts/kafka/pom.xml \
        -Dmaven.repo.local="$KAFKA_ROOT/m2" \
        -Dkafka.version="$KAFKA_VERSION" \
        "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime \
        -DoutputDirectory="$KAFKA_LIBS.partial"
    rm -rf "$KAFKA_LIBS"
    mv "$KAFKA_LIBS.partial" "$KAFKA_LIBS"
    # The storage tool answering proves the classpath is whole.
    java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid >/dev/null
    echo "$KAFKA_VERSION" >"$KAFKA_ROOT/complete"
    echo "== Apache Kafka $KAFKA_VERSION installed in $((SECONDS - started)) s"
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
