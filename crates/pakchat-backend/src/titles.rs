//! A thread's title: the default of a new thread, the first words of its
//! first message, and then the short title a cheap model suggests after the
//! first reply, which replaces the first words unless the user renamed the
//! thread meanwhile.

use std::time::Duration;

use super::actor::{Actor, to_actor};
use super::streaming::ReplyReport;
use crate::domain::{ModelChoice, Role, ThreadId};
use crate::providers::{ChatRequest, ChatTurn, Endpoint, RetryPolicy, StreamEvent, stream_chat};

/// Title of a thread the user has not named and not written in yet.
pub const DEFAULT_TITLE: &str = "New chat";
/// Length of a title taken from the first message.
const TITLE_CHARS: usize = 60;

/// A title made from the first message: its first words on one line.
pub(super) fn title_from(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title: String = line.chars().take(TITLE_CHARS).collect();
    if line.chars().count() > TITLE_CHARS {
        title.push('…');
    }
    if title.is_empty() { DEFAULT_TITLE.to_owned() } else { title }
}

/// A model's title answer, tidied: first line, no quotes or trailing dot,
/// at most 80 characters.
fn clean_title(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let line = line.trim_start_matches("Title:").trim();
    // No markdown: emphasis, headings, code and list marks go.
    let line: String = line.chars().filter(|c| !matches!(c, '*' | '`' | '_' | '#')).collect();
    let line = line.trim_start_matches(['-', '>', ' ']);
    let line = line.trim_matches(|c: char| matches!(c, '"' | '\'' | '“' | '”' | '«' | '»')).trim();
    let line = line.strip_suffix('.').unwrap_or(line);
    // A model that answered instead of naming the chat: its words are no title.
    if line.is_empty() || line.split_whitespace().count() > 12 { String::new() } else { title_from(line) }
}

impl Actor {
    /// Ask a cheap model of the thread's provider (else the thread's own)
    /// for a short title; the answer comes back as [`ReplyReport::Titled`].
    /// Failures keep the title made from the first message.
    pub(super) fn request_title(
        &self,
        thread: ThreadId,
        prompt: &str,
        reply: &str,
        endpoint: Endpoint,
        choice: &ModelChoice,
    ) {
        let models = self.replies.catalog.iter().chain(&self.replies.settings.custom_models);
        let model = crate::domain::title_model(choice, models).model;
        let excerpt = |t: &str| t.chars().take(1000).collect::<String>();
        let request = ChatRequest {
            model,
            system: Some(
                "You name conversations. Reply with a title of at most six words and nothing else.".to_owned(),
            ),
            turns: vec![ChatTurn::text(
                Role::User,
                format!("Title this conversation.\n\nUser: {}\n\nAssistant: {}", excerpt(prompt), excerpt(reply)),
            )],
            max_tokens: Some(24),
        };
        let (tx, http, rt) = (self.inbox.clone(), self.replies.http.clone(), self.rt.clone());
        let policy = RetryPolicy { max_retries: 1, ..self.replies.policy.clone() };
        self.rt.spawn(async move {
            let sleep = |d: Duration| {
                let rt = rt.clone();
                async move { rt.sleep(d).await }
            };
            let mut text = String::new();
            let mut collect = |e: StreamEvent| {
                if let StreamEvent::Text(t) = e {
                    text.push_str(&t);
                }
            };
            match stream_chat(&http, &endpoint, &request, &policy, sleep, &mut collect).await {
                Ok(()) => {
                    let title = clean_title(&text);
                    if !title.is_empty() {
                        to_actor(&tx, ReplyReport::Titled { thread, title });
                    }
                }
                Err(e) => tracing::info!(err = %e.kind.advice(), "no model title; keeping the first words"),
            }
        });
    }

    /// Take the title a model suggested, unless the user named the thread
    /// meanwhile.
    pub(super) async fn take_title(&mut self, thread: ThreadId, title: String) {
        self.edit_thread(thread, "name the thread", move |t| {
            if t.auto_title {
                t.title = title;
                t.auto_title = false;
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::{clean_title, title_from};

    #[test]
    fn title_is_the_first_words_of_the_first_message() {
        assert_eq!(title_from("  Plan a\n trip to Lahore "), "Plan a trip to Lahore");
        assert_eq!(title_from(&"x".repeat(100)).chars().count(), 61);
        assert_eq!(title_from("   "), "New chat");
    }

    #[test]
    fn model_titles_are_tidied() {
        assert_eq!(clean_title("\"Friendly Greetings\"\n"), "Friendly Greetings");
        assert_eq!(clean_title("Title: **Trip to Lahore.**"), "Trip to Lahore");
        assert_eq!(clean_title("   \n  "), "");
        assert_eq!(clean_title("## `Rust` _borrowing_ basics"), "Rust borrowing basics");
        let reply = "Sure! Here is a detailed explanation of how the borrow checker works in Rust and why it matters.";
        assert_eq!(clean_title(reply), "", "a whole reply is not taken as a title");
        let long = clean_title("Planning a three-week rail journey across Pakistan and Central Asia");
        assert!(long.chars().count() <= 61 && long.ends_with('…'), "{long}");
    }
}
