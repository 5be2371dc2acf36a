//! Files copied in a file manager arrive on the clipboard as text: a list of
//! `file://` addresses (`text/uri-list`), on GNOME behind a
//! `x-special/nautilus-clipboard` / `copy` preamble. Such a paste attaches
//! the files instead of typing their addresses.

use std::path::PathBuf;

/// The local paths of a pasted text that is nothing but file addresses, or
/// `None` when it is anything else (ordinary text is typed as it is).
#[must_use]
pub fn pasted_file_paths(text: &str) -> Option<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if matches!(line, "x-special/nautilus-clipboard" | "copy" | "cut") || line.starts_with('#') {
            // GNOME's preamble; `#` lines are comments in a URI list.
            continue;
        }
        let rest = line.strip_prefix("file://")?;
        // `file:///p` (empty host) or `file://localhost/p`; other hosts are not local.
        let path = rest.strip_prefix("localhost").unwrap_or(rest);
        if !path.starts_with('/') {
            return None;
        }
        paths.push(PathBuf::from(percent_decode(path)?));
    }
    (!paths.is_empty()).then_some(paths)
}

/// `%20` and friends back to bytes; `None` if the result is not UTF-8 or an
/// escape is cut.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_addresses_become_paths_and_other_text_stays_text() {
        assert_eq!(
            pasted_file_paths("file:///home/ada/My%20Photos/cat.jpg\r\nfile://localhost/tmp/notes.txt\n"),
            Some(vec![PathBuf::from("/home/ada/My Photos/cat.jpg"), PathBuf::from("/tmp/notes.txt")])
        );
        assert_eq!(
            pasted_file_paths("x-special/nautilus-clipboard\ncopy\nfile:///tmp/%C3%A9t%C3%A9.pdf"),
            Some(vec![PathBuf::from("/tmp/été.pdf")])
        );
        // Anything else is typed: prose, a mix, a remote host, a broken escape.
        assert_eq!(pasted_file_paths("look at file:///tmp/a.png"), None);
        assert_eq!(pasted_file_paths("file:///tmp/a.png\nand this"), None);
        assert_eq!(pasted_file_paths("file://server/share/a.png"), None);
        assert_eq!(pasted_file_paths("file:///tmp/a%2"), None);
        assert_eq!(pasted_file_paths("/tmp/a.png"), None);
        assert_eq!(pasted_file_paths(""), None);
    }
}
