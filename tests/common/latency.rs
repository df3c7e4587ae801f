//! Measures for the end-to-end bench: latency quantiles from a Prometheus
//! histogram as the worker exposes it, and from exact samples counted into
//! the same buckets, so that two paths are compared the same way; and the
//! CPU time a process has used.

/// Cumulative counts of a Prometheus histogram, `(upper bound, count)` in
/// bound order, from a `/metrics` text.
pub fn histogram_buckets(metrics: &str, name: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{le=\"");
    metrics
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (le, count) = rest.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count.trim().parse().ok()?))
        })
        .collect()
}

/// The `q` quantile of cumulative buckets, interpolated linearly inside
/// its bucket (as Prometheus' `histogram_quantile` does).
pub fn bucket_quantile(buckets: &[(f64, f64)], q: f64) -> f64 {
    let total = buckets.last().map_or(0.0, |b| b.1);
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return lower.0;
            }
            let width = count - lower.1;
            let into = if width > 0.0 {
                (rank - lower.1) / width
            } else {
                1.0
            };
            return lower.0 + (le - lower.0) * into;
        }
        lower = (le, count);
    }
    lower.0
}

/// The same seconds counted into the worker's histogram bounds, so both
/// paths' quantiles are estimated the same way.
pub fn into_buckets(seconds: &[f64], bounds: &[(f64, f64)]) -> Vec<(f64, f64)> {
    bounds
        .iter()
        .map(|&(le, _)| (le, seconds.iter().filter(|&&s| s <= le).count() as f64))
        .collect()
}

/// The exact `q` quantile of `seconds`.
pub fn exact_quantile(seconds: &[f64], q: f64) -> f64 {
    let mut sorted = seconds.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Less a hair, so that 0.07 x 100 (7.000000000000001) is rank 7.
    let at = ((sorted.len() as f64 * q - 1e-9).ceil() as usize).saturating_sub(1);
    sorted.get(at).copied().unwrap_or(0.0)
}

/// User + system CPU seconds process `pid` has used so far (Linux
/// `/proc/PID/stat`, in clock ticks).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ")".
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf reads a constant of the system; no memory is passed.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks(11) + ticks(12))
        / if per_second > 0 {
            per_second as f64
        } else {
            100.0
        }
}
