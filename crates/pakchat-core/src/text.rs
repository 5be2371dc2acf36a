//! Small helpers for the sentences the app writes around what others said.

/// `text` as a sentence: a full stop added unless it already ends with one
/// (or with `!`, `?`, `…`), so a provider's "…: sk-123." never reads "..".
#[must_use]
pub fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?', '…']) { text.to_owned() } else { format!("{text}.") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_ends_with_one_stop() {
        assert_eq!(sentence("The reply failed: HTTP 500"), "The reply failed: HTTP 500.");
        assert_eq!(sentence("Incorrect API key provided: sk-123."), "Incorrect API key provided: sk-123.");
        assert_eq!(sentence("Really? "), "Really?");
    }
}
