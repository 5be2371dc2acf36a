//! Branches of a thread's message tree, over positional storage.
//!
//! Messages are stored at positions `0, 1, 2, …` in the order they were
//! written, and every message's parent was written before it, so a parent's
//! position is always lower than its children's. A thread that never branched
//! is one straight line: position `p + 1` is the child of `p`, and nothing
//! beyond the messages is stored.
//!
//! When the user regenerates a reply or edits a message, the new message is a
//! sibling of the old one, appended at the end of the positions. [`Branches`]
//! records only the exceptions to "the next position is my child": the
//! children of every parent that has several, or whose child is not the next
//! position, and which child is chosen at each fork. The conversation on
//! screen is the [`Path`] through those choices: a few runs of consecutive
//! positions, so mapping a row on screen to its stored position costs a
//! binary search however long the thread is.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The parent "position" of a thread's first messages.
pub const ROOT: u64 = u64::MAX;

/// The exceptions to a straight line, for one thread (sealed at rest).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branches {
    /// Children of each parent whose children are not just `parent + 1`,
    /// oldest first. [`ROOT`] keys the first messages once the first one was
    /// edited.
    children: BTreeMap<u64, Vec<u64>>,
    /// The child shown at each fork; the newest when absent.
    chosen: BTreeMap<u64, u64>,
    /// Every position listed in `children` (derived).
    #[serde(skip)]
    listed: BTreeSet<u64>,
}

/// The conversation on screen: runs of consecutive stored positions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path {
    /// `(first position, length)` of each run, in order (positions increase).
    runs: Vec<(u64, u64)>,
    /// Row index at which each run starts.
    starts: Vec<u64>,
    len: u64,
}

/// Where a message stands among its siblings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fork {
    /// 0-based place among the siblings, oldest first.
    pub index: usize,
    /// How many siblings (this one included).
    pub count: usize,
}

impl Branches {
    /// Rebuild derived data after deserializing.
    #[must_use]
    pub fn restored(mut self) -> Self {
        // Drop anything that breaks "a child comes after its parent", so a
        // damaged record can never make the path walk loop.
        for (parent, kids) in &mut self.children {
            kids.retain(|&c| *parent == ROOT || c > *parent);
            kids.dedup();
        }
        self.children.retain(|_, kids| !kids.is_empty());
        self.listed = self.children.values().flatten().copied().collect();
        self
    }

    /// Whether the thread never branched (nothing to store).
    #[must_use]
    pub fn is_straight(&self) -> bool {
        self.children.is_empty()
    }

    /// The children of `parent` (a position or [`ROOT`]) among `count` stored
    /// messages, oldest first.
    #[must_use]
    pub fn children_of(&self, parent: u64, count: u64) -> Vec<u64> {
        if let Some(kids) = self.children.get(&parent) {
            return kids.iter().copied().filter(|&c| c < count).collect();
        }
        let next = if parent == ROOT { 0 } else { parent + 1 };
        if next < count && !self.listed.contains(&next) { vec![next] } else { Vec::new() }
    }

    fn chosen_child(&self, parent: u64, count: u64) -> Option<u64> {
        let kids = self.children_of(parent, count);
        self.chosen.get(&parent).copied().filter(|c| kids.contains(c)).or_else(|| kids.last().copied())
    }

    /// Record that a new message was stored at `position` (the end) as a
    /// child of `parent`, and show it. `count` is the number of messages
    /// stored before it.
    pub fn add_child(&mut self, parent: u64, position: u64, count: u64) {
        let existing = self.children_of(parent, count);
        let natural = if parent == ROOT { 0 } else { parent + 1 };
        if existing.is_empty() && position == natural && !self.children.contains_key(&parent) {
            return;
        }
        let kids = self.children.entry(parent).or_insert(existing);
        kids.push(position);
        self.listed.extend(kids.iter().copied());
        if kids.len() > 1 {
            self.chosen.insert(parent, position);
        }
    }

    /// Record that a message that came from elsewhere (another device, an
    /// archive) was stored at `position` (the end) as a child of `parent`,
    /// `at` among its siblings (the store orders them by stamp). What was
    /// shown stays shown: a merged message may continue the conversation on
    /// screen, it never switches a fork. `count` is the number of messages
    /// stored before it.
    pub fn merge_child(&mut self, parent: u64, position: u64, count: u64, at: usize) {
        let shown = self.chosen_child(parent, count);
        let existing = self.children_of(parent, count);
        let natural = if parent == ROOT { 0 } else { parent + 1 };
        if existing.is_empty() && position == natural && !self.children.contains_key(&parent) {
            return;
        }
        let kids = self.children.entry(parent).or_insert(existing);
        kids.insert(at.min(kids.len()), position);
        self.listed.extend(kids.iter().copied());
        if let Some(shown) = shown {
            self.chosen.insert(parent, shown);
        }
    }

    /// Show `child` at the fork under `parent`. False if it is not a child.
    pub fn choose(&mut self, parent: u64, child: u64, count: u64) -> bool {
        if !self.children_of(parent, count).contains(&child) {
            return false;
        }
        if self.children.contains_key(&parent) {
            self.chosen.insert(parent, child);
        }
        true
    }

    /// The parent of the message stored at `position` ([`ROOT`] for a
    /// first message).
    #[must_use]
    pub fn parent_of_position(&self, position: u64) -> u64 {
        if self.listed.contains(&position)
            && let Some((&parent, _)) = self.children.iter().find(|(_, kids)| kids.contains(&position))
        {
            return parent;
        }
        position.checked_sub(1).unwrap_or(ROOT)
    }

    /// Choose, at every fork above it, the branch that leads to the message
    /// at `position`, so the path shows it. False if nothing had to change.
    pub fn reveal(&mut self, position: u64, count: u64) -> bool {
        if position >= count {
            return false;
        }
        let mut changed = false;
        let mut at = position;
        loop {
            let parent = self.parent_of_position(at);
            if self.chosen_child(parent, count) != Some(at) {
                changed |= self.choose(parent, at, count);
            }
            if parent == ROOT {
                return changed;
            }
            at = parent;
        }
    }

    /// The conversation shown among `count` stored messages.
    #[must_use]
    pub fn path(&self, count: u64) -> Path {
        let mut path = Path::default();
        let mut next = self.chosen_child(ROOT, count);
        while let Some(start) = next {
            // The run goes on while each position's child is the next one: it
            // stops at a parent with listed children, before a position that is
            // someone else's listed child, or at the end.
            let mut end = count - 1;
            let fork = self.children.range(start..count).next().map(|(&k, _)| k);
            if let Some(k) = fork {
                end = end.min(k);
            }
            if let Some(&l) = self.listed.range(start + 1..).next() {
                end = end.min(l - 1);
            }
            path.push(start, end - start + 1);
            next = if Some(end) == fork { self.chosen_child(end, count).filter(|&c| c > end) } else { None };
        }
        path
    }

    /// Where the message at `position`, a child of `parent`, stands among
    /// its siblings; `None` when it has none.
    #[must_use]
    pub fn fork(&self, parent: u64, position: u64, count: u64) -> Option<Fork> {
        let kids = self.children.get(&parent)?;
        let kids: Vec<u64> = kids.iter().copied().filter(|&c| c < count).collect();
        let index = kids.iter().position(|&c| c == position)?;
        (kids.len() > 1).then_some(Fork { index, count: kids.len() })
    }
}

impl Path {
    fn push(&mut self, start: u64, len: u64) {
        self.starts.push(self.len);
        self.runs.push((start, len));
        self.len += len;
    }

    /// How many messages are shown.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing is shown.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stored position of row `row`.
    #[must_use]
    pub fn position(&self, row: u64) -> Option<u64> {
        if row >= self.len {
            return None;
        }
        let run = self.starts.partition_point(|&s| s <= row) - 1;
        Some(self.runs[run].0 + (row - self.starts[run]))
    }

    /// The row showing stored position `position`, if it is on the path.
    #[must_use]
    pub fn row_of(&self, position: u64) -> Option<u64> {
        let run = self.runs.partition_point(|&(s, _)| s <= position).checked_sub(1)?;
        let (start, len) = self.runs[run];
        (position < start + len).then(|| self.starts[run] + (position - start))
    }

    /// The stored position ranges `(first, len)` of rows `row .. row + len`, in order.
    #[must_use]
    pub fn ranges(&self, row: u64, len: u64) -> Vec<(u64, u64)> {
        let end = row.saturating_add(len).min(self.len);
        let mut out = Vec::new();
        let mut r = row;
        while r < end {
            let run = self.starts.partition_point(|&s| s <= r) - 1;
            let (start, run_len) = self.runs[run];
            let offset = r - self.starts[run];
            let take = (run_len - offset).min(end - r);
            out.push((start + offset, take));
            r += take;
        }
        out
    }

    /// The parent position of row `row` ([`ROOT`] for the first).
    #[must_use]
    pub fn parent_of(&self, row: u64) -> u64 {
        row.checked_sub(1).and_then(|r| self.position(r)).unwrap_or(ROOT)
    }

    /// The last row's position ([`ROOT`] when empty): where a new message goes.
    #[must_use]
    pub fn leaf(&self) -> u64 {
        self.len.checked_sub(1).and_then(|r| self.position(r)).unwrap_or(ROOT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious model: every message knows its parent; the path follows
    /// the chosen (default newest) child from the root.
    #[derive(Default)]
    struct Model {
        parents: Vec<u64>,
        /// Each parent's children in sibling order.
        order: BTreeMap<u64, Vec<u64>>,
        chosen: BTreeMap<u64, u64>,
    }

    impl Model {
        fn kids(&self, parent: u64) -> Vec<u64> {
            self.order.get(&parent).cloned().unwrap_or_default()
        }
        fn add(&mut self, parent: u64, at: Option<usize>) {
            let position = self.parents.len() as u64;
            self.parents.push(parent);
            let kids = self.order.entry(parent).or_default();
            kids.insert(at.unwrap_or(kids.len()).min(kids.len()), position);
        }
        fn path(&self) -> Vec<u64> {
            let mut out = Vec::new();
            let mut at = ROOT;
            loop {
                let kids = self.kids(at);
                let Some(&last) = kids.last() else { return out };
                let next = self.chosen.get(&at).copied().filter(|c| kids.contains(c)).unwrap_or(last);
                out.push(next);
                at = next;
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Continue the conversation.
        Append,
        /// Regenerate or edit the row at this fraction of the path.
        Branch(f64),
        /// Switch the fork above the row at this fraction to another child.
        Switch(f64, usize),
        /// A message from another device under the stored message at this
        /// fraction of all (the root when past the end), at this place
        /// among its siblings.
        Merge(f64, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => Just(Op::Append),
            2 => (0.0..1.0f64).prop_map(Op::Branch),
            2 => (0.0..1.0f64, 0..4usize).prop_map(|(f, k)| Op::Switch(f, k)),
            2 => (0.0..1.1f64, 0..4usize).prop_map(|(f, k)| Op::Merge(f, k)),
        ]
    }

    fn row_at(len: usize, f: f64) -> usize {
        ((len as f64 * f) as usize).min(len - 1)
    }

    proptest! {
        #[test]
        fn the_path_matches_a_parent_pointer_model(ops in proptest::collection::vec(op(), 1..80)) {
            let mut model = Model::default();
            let mut branches = Branches::default();
            for op in ops {
                let count = model.parents.len() as u64;
                let path = branches.path(count);
                let expected = model.path();
                match op {
                    Op::Append => {
                        let leaf = path.leaf();
                        branches.add_child(leaf, count, count);
                        model.add(leaf, None);
                        model.chosen.insert(leaf, count);
                    }
                    Op::Branch(f) if !expected.is_empty() => {
                        let row = row_at(expected.len(), f) as u64;
                        let parent = path.parent_of(row);
                        branches.add_child(parent, count, count);
                        model.add(parent, None);
                        model.chosen.insert(parent, count);
                    }
                    Op::Switch(f, k) if !expected.is_empty() => {
                        let row = row_at(expected.len(), f) as u64;
                        let parent = path.parent_of(row);
                        let kids = branches.children_of(parent, count);
                        prop_assert_eq!(&kids, &model.kids(parent));
                        let target = kids[k % kids.len()];
                        prop_assert!(branches.choose(parent, target, count));
                        model.chosen.insert(parent, target);
                    }
                    Op::Merge(f, k) => {
                        let parent = if f >= 1.0 || count == 0 { ROOT } else { row_at(count as usize, f) as u64 };
                        let siblings = model.kids(parent);
                        let at = k % (siblings.len() + 1);
                        // What the model showed under the parent stays shown.
                        let shown = model.chosen.get(&parent).copied().filter(|c| siblings.contains(c)).or(siblings.last().copied());
                        branches.merge_child(parent, count, count, at);
                        model.add(parent, Some(at));
                        if let Some(shown) = shown {
                            model.chosen.insert(parent, shown);
                        }
                    }
                    Op::Branch(_) | Op::Switch(..) => {}
                }
                // Through a serde round trip, as the store keeps it.
                let json = serde_json::to_string(&branches).unwrap();
                branches = serde_json::from_str::<Branches>(&json).unwrap().restored();

                let count = model.parents.len() as u64;
                let path = branches.path(count);
                let expected = model.path();
                let rows: Vec<u64> = (0..path.len()).map(|r| path.position(r).unwrap()).collect();
                prop_assert_eq!(&rows, &expected);
                for (row, &p) in expected.iter().enumerate() {
                    prop_assert_eq!(path.row_of(p), Some(row as u64));
                    let parent = path.parent_of(row as u64);
                    prop_assert_eq!(model.parents[p as usize], parent);
                    let siblings = model.kids(parent);
                    let fork = branches.fork(parent, p, count);
                    if siblings.len() > 1 {
                        let index = siblings.iter().position(|&s| s == p).unwrap();
                        prop_assert_eq!(fork, Some(Fork { index, count: siblings.len() }));
                    } else {
                        prop_assert_eq!(fork, None);
                    }
                }
                let flat: Vec<u64> = path.ranges(0, path.len()).into_iter().flat_map(|(s, n)| s..s + n).collect();
                prop_assert_eq!(flat, expected);
                for p in 0..count {
                    prop_assert_eq!(branches.parent_of_position(p), model.parents[p as usize]);
                }
            }
            // Revealing any stored message puts it on the path.
            let count = model.parents.len() as u64;
            for p in 0..count {
                let mut b = branches.clone();
                let was_shown = b.path(count).row_of(p).is_some();
                let changed = b.reveal(p, count);
                prop_assert_eq!(changed, !was_shown);
                prop_assert!(b.path(count).row_of(p).is_some(), "position {} not shown after reveal", p);
            }
        }
    }

    #[test]
    fn a_straight_thread_stores_nothing_and_is_one_run() {
        let mut b = Branches::default();
        for p in 0..1000 {
            let leaf = b.path(p).leaf();
            b.add_child(leaf, p, p);
        }
        assert!(b.is_straight());
        let path = b.path(1000);
        assert_eq!(path.runs, vec![(0, 1000)]);
        assert_eq!(path.position(999), Some(999));
        assert_eq!(path.ranges(990, 50), vec![(990, 10)]);
    }

    #[test]
    fn regenerating_the_last_reply_shows_the_new_one_and_keeps_the_old() {
        // user 0, reply 1; regenerate: reply 2 under 0.
        let mut b = Branches::default();
        b.add_child(0, 2, 2);
        let path = b.path(3);
        assert_eq!((0..path.len()).map(|r| path.position(r).unwrap()).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(b.fork(0, 2, 3), Some(Fork { index: 1, count: 2 }));
        assert!(b.choose(0, 1, 3));
        let path = b.path(3);
        assert_eq!(path.position(1), Some(1));
        assert_eq!(b.fork(0, 1, 3), Some(Fork { index: 0, count: 2 }));
        assert!(!b.choose(0, 5, 3), "not a child");
    }

    #[test]
    fn a_damaged_record_cannot_make_the_walk_loop() {
        let json = r#"{"children":{"3":[1,3,2],"18446744073709551615":[0]},"chosen":{"3":1}}"#;
        let b = serde_json::from_str::<Branches>(json).unwrap().restored();
        let path = b.path(5);
        assert!(path.len() <= 5);
    }
}
