//! A value that counts its own changes, so a cache built from it knows it is
//! stale without anyone remembering to say so.
//!
//! Every mutable access (`DerefMut`) counts as a change; reads do not.
//! The sidebar's grouping keys on the counts of the thread and project
//! lists: an edit anywhere (an event, an optimistic row, a fold) rebuilds
//! it, and nothing else does.

use std::ops::{Deref, DerefMut};

/// `T` and the number of times it was borrowed mutably.
#[derive(Clone, Debug, Default)]
pub struct Tracked<T> {
    value: T,
    changes: u64,
}

impl<T> Tracked<T> {
    /// `value`, unchanged so far.
    pub fn new(value: T) -> Self {
        Self { value, changes: 0 }
    }

    /// How many times it may have changed: equal counts, equal value.
    pub fn changes(&self) -> u64 {
        self.changes
    }
}

impl<T> Deref for Tracked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Tracked<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.changes = self.changes.wrapping_add(1);
        &mut self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_leave_the_count_and_writes_move_it() {
        let mut list = Tracked::new(vec![1, 2]);
        assert_eq!((list.len(), list.first().copied(), list.changes()), (2, Some(1), 0));
        list.push(3);
        assert_eq!(list.changes(), 1);
        if let Some(first) = list.first_mut() {
            *first = 9;
        }
        assert_eq!((list.changes(), list.iter().sum::<i32>()), (2, 14));
    }
}
