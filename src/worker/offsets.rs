//! Gap-aware offset tracking: per partition, the offset that is safe to
//! commit is the lowest one not yet acknowledged by the broker (or, with
//! nothing pending, one past the highest dispatched). A slow or failed
//! delivery holds its partition's commit back; later acknowledgements are
//! remembered and count once the gap closes.

use std::collections::{BTreeMap, HashMap};

/// Topic and partition, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: i32) -> Self {
        TopicPartition {
            topic: topic.to_string(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.topic, self.partition)
    }
}

/// Where an undelivered record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Handed to the producer, waiting for the broker's acknowledgement.
    InProducer,
    /// Its delivery failed; it waits to be sent again.
    AwaitingRetry,
    /// Retries are exhausted: the partition is stopped at this offset.
    Failed,
}

#[derive(Debug, Default)]
struct PartitionState {
    pending: BTreeMap<i64, Pending>,
    /// One past the highest dispatched offset.
    next: Option<i64>,
    /// The last offset committed (or sent to be committed).
    committed: Option<i64>,
}

impl PartitionState {
    fn committable(&self) -> Option<i64> {
        match self.pending.keys().next() {
            Some(&lowest) => Some(lowest),
            None => self.next,
        }
    }

    fn take_commit(&mut self, which: Commits) -> Option<i64> {
        let offset = self.committable()?;
        if which == Commits::Moved && self.committed == Some(offset) {
            return None;
        }
        self.committed = Some(offset);
        Some(offset)
    }
}

/// Which offsets [`OffsetTracker::take_commits`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commits {
    /// Those that moved since the last call.
    Moved,
    /// Every partition's committable offset.
    All,
}

#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<TopicPartition, PartitionState>,
    in_flight: usize,
}

impl OffsetTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one consumed offset as handed to the producer. Offsets of a
    /// partition must be dispatched in increasing order.
    pub fn dispatch(&mut self, tp: &TopicPartition, offset: i64) {
        let state = self.partitions.entry(tp.clone()).or_default();
        if state.pending.insert(offset, Pending::InProducer).is_none() {
            self.in_flight += 1;
        }
        state.next = Some(state.next.map_or(offset + 1, |n| n.max(offset + 1)));
    }

    /// The broker acknowledged the record of `offset`. Returns false for an
    /// offset not tracked (e.g. of a partition revoked meanwhile).
    pub fn ack(&mut self, tp: &TopicPartition, offset: i64) -> bool {
        let removed = self
            .partitions
            .get_mut(tp)
            .and_then(|s| s.pending.remove(&offset))
            .is_some();
        if removed {
            self.in_flight -= 1;
        }
        removed
    }

    /// Marks a tracked record as failed or awaiting retry (or back in the producer).
    pub fn mark(&mut self, tp: &TopicPartition, offset: i64, state: Pending) -> bool {
        match self
            .partitions
            .get_mut(tp)
            .and_then(|s| s.pending.get_mut(&offset))
        {
            Some(slot) => {
                *slot = state;
                true
            }
            None => false,
        }
    }

    /// Whether the partition is tracked.
    pub fn contains(&self, tp: &TopicPartition) -> bool {
        self.partitions.contains_key(tp)
    }

    /// Records dispatched and not yet acknowledged, over all partitions.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Records that may still be delivered (not failed for good).
    pub fn unsettled(&self) -> usize {
        self.partitions
            .values()
            .map(|s| {
                s.pending
                    .values()
                    .filter(|p| **p != Pending::Failed)
                    .count()
            })
            .sum()
    }

    /// Records of `tp` still in the producer (not failed, not awaiting retry).
    pub fn in_producer(&self, tp: &TopicPartition) -> usize {
        self.partitions.get(tp).map_or(0, |s| {
            s.pending
                .values()
                .filter(|p| **p == Pending::InProducer)
                .count()
        })
    }

    /// Whether the partition has a record whose retries are exhausted.
    pub fn has_failed(&self, tp: &TopicPartition) -> bool {
        self.partitions
            .get(tp)
            .is_some_and(|s| s.pending.values().any(|p| *p == Pending::Failed))
    }

    /// The offset to commit for `tp` (the next record to read), if any.
    pub fn committable(&self, tp: &TopicPartition) -> Option<i64> {
        self.partitions
            .get(tp)
            .and_then(PartitionState::committable)
    }

    /// The offsets to commit, marked as committed: those that moved since
    /// the last call, or with [`Commits::All`] every partition's, moved or
    /// not (a re-send: the outcome of an asynchronous commit is never
    /// reported back, so one lost in an outage would otherwise stay lost).
    pub fn take_commits(&mut self, which: Commits) -> Vec<(TopicPartition, i64)> {
        let mut out: Vec<_> = self
            .partitions
            .iter_mut()
            .filter_map(|(tp, state)| state.take_commit(which).map(|o| (tp.clone(), o)))
            .collect();
        out.sort();
        out
    }

    /// Every committable offset of `tps`, moved or not (they are about to
    /// be revoked: the last chance to commit them).
    pub fn take_commits_of(&mut self, tps: &[TopicPartition]) -> Vec<(TopicPartition, i64)> {
        tps.iter()
            .filter_map(|tp| {
                let state = self.partitions.get_mut(tp)?;
                state.take_commit(Commits::All).map(|o| (tp.clone(), o))
            })
            .collect()
    }

    /// Forgets a partition (revoked); its pending records no longer count.
    pub fn remove(&mut self, tp: &TopicPartition) {
        if let Some(state) = self.partitions.remove(tp) {
            self.in_flight -= state.pending.len();
        }
    }

    /// Forgets the last committed offset of `tp` so it is committed again
    /// (after a failed commit).
    pub fn uncommit(&mut self, tp: &TopicPartition) {
        if let Some(state) = self.partitions.get_mut(tp) {
            state.committed = None;
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
    fn commits_only_below_the_lowest_unacknowledged_offset() {
        let mut t = OffsetTracker::new();
        for o in 10..15 {
            t.dispatch(&tp(0), o);
        }
        assert_eq!(t.committable(&tp(0)), Some(10));
        // Acks out of order: 11, 12, 14 delivered, 10 and 13 not yet.
        for o in [11, 12, 14] {
            assert!(t.ack(&tp(0), o));
        }
        assert_eq!(t.committable(&tp(0)), Some(10), "10 still pending");
        t.ack(&tp(0), 10);
        assert_eq!(t.committable(&tp(0)), Some(13), "gap at 13");
        t.ack(&tp(0), 13);
        assert_eq!(t.committable(&tp(0)), Some(15), "all delivered");
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn offset_gaps_in_the_log_do_not_hold_commits() {
        // Compacted topics and transaction markers leave holes in offsets.
        let mut t = OffsetTracker::new();
        for o in [3, 7, 8, 20] {
            t.dispatch(&tp(1), o);
        }
        for o in [3, 7, 8, 20] {
            t.ack(&tp(1), o);
        }
        assert_eq!(t.committable(&tp(1)), Some(21));
    }

    #[test]
    fn a_failed_record_is_never_committed_past() {
        let mut t = OffsetTracker::new();
        for o in 0..5 {
            t.dispatch(&tp(0), o);
        }
        t.mark(&tp(0), 2, Pending::Failed);
        for o in [0, 1, 3, 4] {
            t.ack(&tp(0), o);
        }
        assert_eq!(t.committable(&tp(0)), Some(2));
        assert!(t.has_failed(&tp(0)));
        assert_eq!(t.in_producer(&tp(0)), 0);
        assert_eq!(t.in_flight(), 1);
    }

    #[test]
    fn take_commits_reports_each_move_once_per_partition() {
        let mut t = OffsetTracker::new();
        t.dispatch(&tp(0), 0);
        t.dispatch(&tp(1), 100);
        t.ack(&tp(0), 0);
        assert_eq!(
            t.take_commits(Commits::Moved),
            vec![(tp(0), 1), (tp(1), 100)]
        );
        assert!(t.take_commits(Commits::Moved).is_empty(), "nothing moved");
        t.ack(&tp(1), 100);
        assert_eq!(t.take_commits(Commits::Moved), vec![(tp(1), 101)]);
        t.uncommit(&tp(1));
        assert_eq!(t.take_commits(Commits::Moved), vec![(tp(1), 101)]);
    }

    #[test]
    fn unmoved_offsets_are_sent_again_when_all_are_asked_for() {
        // The case that lost a commit: every record of a partition done
        // before an outage, its last asynchronous commit failed unseen, and
        // nothing left to move the offset again.
        let mut t = OffsetTracker::new();
        t.dispatch(&tp(0), 0);
        t.ack(&tp(0), 0);
        t.dispatch(&tp(1), 7);
        assert_eq!(t.take_commits(Commits::Moved), vec![(tp(0), 1), (tp(1), 7)]);
        assert!(t.take_commits(Commits::Moved).is_empty());
        assert_eq!(t.take_commits(Commits::All), vec![(tp(0), 1), (tp(1), 7)]);
        assert_eq!(
            t.take_commits_of(&[tp(1)]),
            vec![(tp(1), 7)],
            "revoke commits unmoved offsets too"
        );
        assert!(t.take_commits_of(&[tp(2)]).is_empty(), "unknown partition");
    }

    #[test]
    fn removing_a_partition_forgets_its_pending_records() {
        let mut t = OffsetTracker::new();
        t.dispatch(&tp(0), 0);
        t.dispatch(&tp(1), 0);
        t.remove(&tp(0));
        assert_eq!(t.in_flight(), 1);
        assert!(
            !t.ack(&tp(0), 0),
            "a late ack of a revoked partition is ignored"
        );
        assert!(!t.contains(&tp(0)));
    }

    #[test]
    fn redispatch_of_a_tracked_offset_counts_once() {
        let mut t = OffsetTracker::new();
        t.dispatch(&tp(0), 5);
        t.dispatch(&tp(0), 5);
        assert_eq!(t.in_flight(), 1);
    }
}
