//! A thread's conversation as the UI sees it: rows along the chosen branch
//! of the message tree (see [`crate::domain::Branches`]), mapped onto stored
//! positions. Everything here runs inside [`super::actor::Actor::with_store`].

use crate::domain::{Branches, Fork, Message, Path, ThreadId};
use crate::store::{MessageSlot, Store, StoreError};

/// A row that has siblings: the UI shows `◀ index+1/count ▶` on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowFork {
    /// The row.
    pub row: u64,
    /// Where its message stands among its siblings.
    pub fork: Fork,
}

/// One thread's branches, stored message count and the path they give.
pub(super) struct View {
    pub branches: Branches,
    pub count: u64,
    pub path: Path,
}

impl View {
    /// Read the view of `thread`.
    pub fn load(s: &dyn Store, thread: ThreadId) -> Result<Self, StoreError> {
        let branches = s.branches(thread)?;
        let count = s.message_count(thread)?;
        let path = branches.path(count);
        Ok(Self { branches, count, path })
    }

    /// Rows `start .. start + len` and the forks among them.
    pub fn page(
        &self,
        s: &dyn Store,
        thread: ThreadId,
        start: u64,
        len: usize,
    ) -> Result<(Vec<MessageSlot>, Vec<RowFork>), StoreError> {
        let mut slots = Vec::with_capacity(len);
        for (first, n) in self.path.ranges(start, len as u64) {
            slots.extend(s.messages(thread, first, usize::try_from(n).unwrap_or(usize::MAX))?);
        }
        Ok((slots, self.forks(start, len as u64)))
    }

    /// The forks among rows `start .. start + len`.
    pub fn forks(&self, start: u64, len: u64) -> Vec<RowFork> {
        if self.branches.is_straight() {
            return Vec::new();
        }
        let end = start.saturating_add(len).min(self.path.len());
        (start..end)
            .filter_map(|row| {
                let position = self.path.position(row)?;
                let fork = self.branches.fork(self.path.parent_of(row), position, self.count)?;
                Some(RowFork { row, fork })
            })
            .collect()
    }

    /// The rows from `from` on whose message the user wrote (for the
    /// navigation bar), read a page at a time so memory stays bounded.
    pub fn user_rows(&self, s: &dyn Store, thread: ThreadId, from: u64) -> Result<Vec<u64>, StoreError> {
        const PAGE: u64 = 512;
        let mut rows = Vec::new();
        let mut start = from;
        while start < self.path.len() {
            let len = PAGE.min(self.path.len() - start);
            let (slots, _) = self.page(s, thread, start, usize::try_from(len).unwrap_or(usize::MAX))?;
            rows.extend(slots.iter().zip(start..).filter_map(|(slot, row)| match slot {
                MessageSlot::Ok(m) if m.role == crate::domain::Role::User => Some(row),
                _ => None,
            }));
            start += len;
        }
        Ok(rows)
    }

    /// The message at `row`, if it is readable.
    pub fn message(&self, s: &dyn Store, thread: ThreadId, row: u64) -> Result<Option<Message>, StoreError> {
        let Some(position) = self.path.position(row) else { return Ok(None) };
        Ok(match s.messages(thread, position, 1)?.pop() {
            Some(MessageSlot::Ok(m)) => Some(m),
            _ => None,
        })
    }

    /// Store `message` as a new child of `parent` (a position or [`crate::domain::ROOT`]),
    /// shown from now on. Returns its stored position and its row; when the
    /// row is not the old end of the path, the rows after the fork changed.
    pub fn add_child(
        &mut self,
        s: &dyn Store,
        thread: ThreadId,
        parent: u64,
        message: &Message,
    ) -> Result<(u64, u64), StoreError> {
        let position = s.append_message(message)?;
        let was_straight = self.branches.is_straight();
        self.branches.add_child(parent, position, position);
        if !(was_straight && self.branches.is_straight()) {
            s.put_branches(thread, &self.branches)?;
        }
        self.count = position + 1;
        self.path = self.branches.path(self.count);
        let row = self.path.row_of(position).unwrap_or(self.path.len().saturating_sub(1));
        Ok((position, row))
    }

    /// The row's parent position ([`crate::domain::ROOT`] for the first row).
    pub fn parent_of(&self, row: u64) -> u64 {
        self.path.parent_of(row)
    }

    /// Show the sibling `step` places from the message at `row`. Returns
    /// false when there is none that way.
    pub fn step_branch(&mut self, s: &dyn Store, thread: ThreadId, row: u64, step: i64) -> Result<bool, StoreError> {
        let Some(position) = self.path.position(row) else { return Ok(false) };
        let parent = self.path.parent_of(row);
        let kids = self.branches.children_of(parent, self.count);
        let Some(at) = kids.iter().position(|&k| k == position) else { return Ok(false) };
        let Some(target) = at.checked_add_signed(isize::try_from(step).unwrap_or(0)).and_then(|i| kids.get(i)) else {
            return Ok(false);
        };
        if !self.branches.choose(parent, *target, self.count) {
            return Ok(false);
        }
        s.put_branches(thread, &self.branches)?;
        self.path = self.branches.path(self.count);
        Ok(true)
    }
}
