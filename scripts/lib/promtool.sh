# promtool, for checking and unit-testing deploy/prometheus/ (sourced, not
# run). Idempotent: does nothing when `promtool --version` already works.
#
# promtool comes from Debian's `prometheus` package. Installing the package
# pulls in 11 web-asset packages (~330 MB) and enables a Prometheus server
# unit, so only the promtool binary (~48 MB, needs libc only) is taken out of
# the .deb and put in $PROMTOOL_DIR; `apt-get install prometheus` is the
# fallback if that fails.
PROMTOOL_DIR="${PROMTOOL_DIR:-/usr/local/bin}"

# apt-get with its arguments; when that fails (typically no package list
# yet on a fresh machine), refresh the lists once and try again.
_promtool_apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get "$@" && return 0
    echo "== apt-get $1 failed; running apt-get update and retrying"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

ensure_promtool() {
    if promtool --version >/dev/null 2>&1; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    echo "== installing promtool from Debian's prometheus package into $PROMTOOL_DIR"
    local tmp
    tmp="$(mktemp -d)"
    # APT::Sandbox::User=root: the download goes into a private temp dir
    # that apt's unprivileged _apt user could not write to.
    if (cd "$tmp" && _promtool_apt_get download -q -o APT::Sandbox::User=root prometheus) &&
        dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool &&
        $sudo install -D -m 0755 "$tmp/usr/bin/promtool" "$PROMTOOL_DIR/promtool"; then
        :
    else
        echo "== extracting promtool failed; installing the prometheus package instead"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus ||
            { $sudo apt-get update -qq &&
                $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; }
    fi
    rm -rf "$tmp"
    hash -r
    promtool --version 2>&1 | sed -n 1p
}
