//! Errors shown until dismissed. Each belongs to a chat (shown only while
//! that chat is open, in the main window or its own) or to the whole app;
//! the same error is shown once however often it happens, and at most
//! [`Notices::MAX`] wait at a time (the oldest goes first).

use crate::domain::ThreadId;

/// One error for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The chat it is about; `None`: the whole app.
    pub thread: Option<ThreadId>,
    /// What went wrong, in the user's words.
    pub text: String,
}

/// The errors waiting to be read.
#[derive(Clone, Debug, Default)]
pub struct Notices(Vec<Notice>);

impl Notices {
    /// How many errors wait at most.
    pub const MAX: usize = 4;

    /// Add an error; one already waiting for the same chat is not shown twice.
    pub fn push(&mut self, thread: Option<ThreadId>, text: String) {
        if self.0.iter().any(|n| n.thread == thread && n.text == text) {
            return;
        }
        self.0.push(Notice { thread, text });
        if self.0.len() > Self::MAX {
            self.0.remove(0);
        }
    }

    /// Every error's text, the oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|n| &n.text)
    }

    /// The errors to show while `open` chats are shown, with their place
    /// (for [`Self::dismiss`]).
    #[must_use]
    pub fn shown(&self, open: &[ThreadId]) -> Vec<(usize, &Notice)> {
        self.0.iter().enumerate().filter(|(_, n)| n.thread.is_none_or(|t| open.contains(&t))).collect()
    }

    /// Remove the error at `place`.
    pub fn dismiss(&mut self, place: usize) {
        if place < self.0.len() {
            self.0.remove(place);
        }
    }

    /// Forget the errors about chats that are gone.
    pub fn keep_chats(&mut self, exists: impl Fn(ThreadId) -> bool) {
        self.0.retain(|n| n.thread.is_none_or(&exists));
    }

    /// Whether no error waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(n: &Notices, open: &[ThreadId]) -> Vec<String> {
        n.shown(open).into_iter().map(|(_, x)| x.text.clone()).collect()
    }

    #[test]
    fn an_error_is_shown_once_with_its_chat_and_the_oldest_goes_when_full() {
        let (a, b) = (ThreadId::new(), ThreadId::new());
        let mut n = Notices::default();
        n.push(Some(a), "The reply failed.".to_owned());
        n.push(Some(a), "The reply failed.".to_owned());
        n.push(None, "Settings could not be saved.".to_owned());
        assert_eq!(n.iter().count(), 2, "the same error for the same chat waits once");
        assert_eq!(texts(&n, &[b]), vec!["Settings could not be saved."], "another chat shows only the app's errors");
        assert_eq!(texts(&n, &[a]), vec!["The reply failed.", "Settings could not be saved."]);
        assert_eq!(texts(&n, &[]), vec!["Settings could not be saved."]);

        let first = n.shown(&[a])[0].0;
        n.dismiss(first);
        assert_eq!(texts(&n, &[a]), vec!["Settings could not be saved."]);

        for i in 0..6 {
            n.push(Some(b), format!("error {i}"));
        }
        assert_eq!(n.iter().count(), Notices::MAX);
        assert_eq!(n.iter().next().map(String::as_str), Some("error 2"), "the oldest went first");
        n.keep_chats(|t| t != b);
        assert!(n.is_empty());
    }
}
