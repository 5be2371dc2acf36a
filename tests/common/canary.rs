//! Looking for a secret on disk or in logs, in every common encoding.

use std::path::{Path, PathBuf};

use base64::Engine as _;

/// Every way `secret` could appear: raw, hex (both cases), and base64 at each
/// of the three byte alignments (standard and URL-safe alphabets).
pub fn forms(secret: &str) -> Vec<Vec<u8>> {
    let raw = secret.as_bytes();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let mut out = vec![raw.to_vec(), hex.clone().into_bytes(), hex.to_uppercase().into_bytes()];
    for pad in 0..3 {
        let mut shifted = vec![0u8; pad];
        shifted.extend_from_slice(raw);
        for engine in [&base64::engine::general_purpose::STANDARD, &base64::engine::general_purpose::URL_SAFE] {
            let encoded = engine.encode(&shifted);
            // Drop the characters that mix in neighbouring bytes.
            let start = (pad * 4).div_ceil(3) + 1;
            out.push(encoded.as_bytes()[start..encoded.len() - 4].to_vec());
        }
    }
    out
}

/// Every file below `dir` with its bytes.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            let bytes = std::fs::read(&path).expect("readable file");
            out.push((path, bytes));
        }
    }
    out
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
