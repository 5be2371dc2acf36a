//! A newline-delimited JSON decoder: one JSON document per line, lines split
//! anywhere across network pieces, `\r\n` tolerated, blank lines skipped.

/// Incremental decoder state.
#[derive(Debug, Default)]
pub struct NdjsonDecoder {
    buf: Vec<u8>,
}

impl NdjsonDecoder {
    /// A decoder at the start of a stream.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed the next piece; pushes every completed, non-blank line.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<String>) {
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                self.buf.extend_from_slice(&bytes[start..i]);
                start = i + 1;
                self.emit(out);
            }
        }
        self.buf.extend_from_slice(&bytes[start..]);
    }

    fn emit(&mut self, out: &mut Vec<String>) {
        let line = String::from_utf8_lossy(&self.buf).trim().to_owned();
        self.buf.clear();
        if !line.is_empty() {
            out.push(line);
        }
    }

    /// The body ended: a last line without its newline is still a line (a
    /// non-streamed reply is one JSON object without one).
    pub fn finish(&mut self, out: &mut Vec<String>) {
        self.emit(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "{\"a\":1}\r\n\n{\"b\":\"日本\"}\n{\"done\":true}";

    fn decode(input: &[u8], cuts: &[usize]) -> Vec<String> {
        let mut d = NdjsonDecoder::new();
        let mut out = Vec::new();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut last = 0;
        for c in cuts {
            d.feed(&input[last..c], &mut out);
            last = c;
        }
        d.feed(&input[last..], &mut out);
        d.finish(&mut out);
        out
    }

    #[test]
    fn lines_come_out_whole() {
        assert_eq!(decode(SAMPLE.as_bytes(), &[]), vec!["{\"a\":1}", "{\"b\":\"日本\"}", "{\"done\":true}"]);
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_lines(cuts in proptest::collection::vec(0usize..64, 0..10)) {
            prop_assert_eq!(decode(SAMPLE.as_bytes(), &cuts), decode(SAMPLE.as_bytes(), &[]));
        }

        #[test]
        fn random_bytes_never_panic_and_decode_alike_in_any_pieces(bytes in proptest::collection::vec(any::<u8>(), 0..512), cuts in proptest::collection::vec(0usize..512, 0..8)) {
            prop_assert_eq!(decode(&bytes, &cuts), decode(&bytes, &[]));
        }
    }
}
