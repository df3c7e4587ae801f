//! Assigned partitions that librdkafka has not started reading.
//!
//! After an assignment, librdkafka asks the group coordinator for each
//! partition's committed offset and starts fetching once it has it. With
//! `isolation.level = read_committed` (the default) the broker withholds
//! an offset that an open transaction has written for the group
//! (`UNSTABLE_OFFSET_COMMIT`), and librdkafka asks again, silently, for as
//! long as that lasts: until a member that died mid-transaction has its
//! transaction timed out, or for good when the broker lost the
//! transaction's markers (docs/reliability.md, "Hanging transactions").
//! A coordinator that does not answer keeps partitions waiting the same
//! way. Meanwhile the worker would sit assigned, reading nothing, and look
//! healthy. The statistics' `fetch_state` shows it: `none`, `stopping` or
//! `stopped` for a partition the worker owns. This watch remembers over
//! which reports, so that readiness can fail with the partitions' names.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::offsets::TopicPartition;

/// librdkafka's fetch states of a partition it is not reading.
const NOT_FETCHING: [&str; 3] = ["none", "stopping", "stopped"];

#[derive(Debug, Default)]
pub(crate) struct Unstarted {
    /// Per owned partition seen not fetching: the first and the latest
    /// report that saw it so. The wait counts between the two, so that one
    /// report (the first after an assignment, before fetching starts) is
    /// never taken for a long wait when reports are far apart.
    seen: HashMap<TopicPartition, (Instant, Instant)>,
    /// The partitions last reported overdue, to log a change once.
    reported: Vec<TopicPartition>,
}

/// What changed in the overdue partitions since they were last reported.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    None,
    /// These partitions (all that are overdue now) have not started.
    Stuck(Vec<TopicPartition>),
    /// Every partition that was overdue is read now.
    Cleared,
}

impl Unstarted {
    /// One partition's `fetch_state` from a statistics report.
    pub fn observe(&mut self, tp: &TopicPartition, fetch_state: &str, now: Instant) {
        if NOT_FETCHING.contains(&fetch_state) {
            self.seen.entry(tp.clone()).or_insert((now, now)).1 = now;
        } else {
            self.seen.remove(tp);
        }
    }

    /// Forgets partitions given up (revoked, lost, or read again).
    pub fn forget(&mut self, tps: &[TopicPartition]) {
        self.seen.retain(|tp, _| !tps.contains(tp));
    }

    /// The partitions seen not fetching over `timeout` or longer, sorted,
    /// and the longest such wait.
    pub fn overdue(&self, timeout: Duration) -> (Vec<TopicPartition>, Duration) {
        let mut longest = Duration::ZERO;
        let mut tps: Vec<TopicPartition> = self
            .seen
            .iter()
            .filter_map(|(tp, (first, latest))| {
                let waited = latest.saturating_duration_since(*first);
                (waited >= timeout).then(|| {
                    longest = longest.max(waited);
                    tp.clone()
                })
            })
            .collect();
        tps.sort();
        (tps, longest)
    }

    /// Compares `overdue` with what was last reported, and remembers it.
    pub fn report(&mut self, overdue: &[TopicPartition]) -> Change {
        if overdue == self.reported.as_slice() {
            return Change::None;
        }
        let was_stuck = !self.reported.is_empty();
        self.reported = overdue.to_vec();
        if overdue.is_empty() {
            if was_stuck {
                Change::Cleared
            } else {
                Change::None
            }
        } else {
            Change::Stuck(overdue.to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("in", p)
    }

    #[test]
    fn a_partition_that_never_starts_is_overdue_after_the_timeout_and_one_that_starts_is_not() {
        let t0 = Instant::now();
        let mut u = Unstarted::default();
        u.observe(&tp(0), "none", t0);
        u.observe(&tp(1), "none", t0);
        u.observe(&tp(2), "active", t0);
        let later = t0 + Duration::from_secs(5);
        u.observe(&tp(0), "none", later);
        u.observe(&tp(1), "active", later);
        assert_eq!(u.overdue(Duration::from_secs(10)), (vec![], Duration::ZERO));
        let much_later = t0 + Duration::from_secs(12);
        u.observe(&tp(0), "none", much_later);
        assert_eq!(
            u.overdue(Duration::from_secs(10)),
            (vec![tp(0)], Duration::from_secs(12))
        );
    }

    #[test]
    fn one_report_is_not_a_long_wait_however_long_ago_it_came() {
        let mut u = Unstarted::default();
        u.observe(&tp(0), "none", Instant::now() - Duration::from_secs(600));
        assert!(u.overdue(Duration::from_secs(10)).0.is_empty());
    }

    #[test]
    fn stopping_and_stopped_count_and_partitions_given_up_are_forgotten() {
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(60);
        let mut u = Unstarted::default();
        for (p, state) in [(0, "stopped"), (1, "stopping"), (2, "stopped")] {
            u.observe(&tp(p), state, t0);
            u.observe(&tp(p), state, later);
        }
        assert_eq!(
            u.overdue(Duration::from_secs(10)).0,
            vec![tp(0), tp(1), tp(2)]
        );
        u.forget(&[tp(0), tp(2)]);
        assert_eq!(u.overdue(Duration::from_secs(10)).0, vec![tp(1)]);
    }

    #[test]
    fn a_change_is_reported_once() {
        let mut u = Unstarted::default();
        assert_eq!(u.report(&[]), Change::None);
        assert_eq!(u.report(&[tp(0)]), Change::Stuck(vec![tp(0)]));
        assert_eq!(u.report(&[tp(0)]), Change::None);
        assert_eq!(u.report(&[tp(0), tp(1)]), Change::Stuck(vec![tp(0), tp(1)]));
        assert_eq!(u.report(&[]), Change::Cleared);
        assert_eq!(u.report(&[]), Change::None);
    }
}
