//! A `text/event-stream` decoder that takes bytes in whatever pieces the
//! network delivers: lines may be split anywhere (even inside a UTF-8
//! character or between `\r` and `\n`), events span several lines, comment
//! lines (`:`) are skipped, and several `data:` lines join with `\n`.

/// One dispatched server-sent event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Incremental decoder state.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    /// The previous piece ended in `\r`: a `\n` starting the next one belongs to it.
    pending_cr: bool,
    started: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
}

/// The stream ended in the middle of a line or an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the event stream ended in the middle of an event")]
pub struct Incomplete;

impl SseDecoder {
    /// A decoder at the start of a stream.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed the next piece of the body; returns the events it completed.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        // An empty piece must not end a pending `\r` (its `\n` may come next).
        if bytes.is_empty() {
            return;
        }
        let mut bytes = bytes;
        if self.pending_cr {
            self.pending_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    self.line_end(&bytes[start..i], out);
                    start = i + 1;
                }
                b'\r' => {
                    self.line_end(&bytes[start..i], out);
                    if i + 1 == bytes.len() {
                        self.pending_cr = true;
                    } else if bytes[i + 1] == b'\n' {
                        i += 1;
                    }
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
    }

    fn line_end(&mut self, tail: &[u8], out: &mut Vec<SseEvent>) {
        let line = if self.buf.is_empty() {
            String::from_utf8_lossy(tail).into_owned()
        } else {
            self.buf.extend_from_slice(tail);
            let l = String::from_utf8_lossy(&self.buf).into_owned();
            self.buf.clear();
            l
        };
        let line = if self.started {
            line.as_str()
        } else {
            self.started = true;
            line.strip_prefix('\u{feff}').unwrap_or(&line)
        };
        self.process_line(line, out);
    }

    fn process_line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            // `id` and `retry` matter only to EventSource reconnection.
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = self.event.take();
        if self.has_data {
            self.has_data = false;
            out.push(SseEvent { event, data: std::mem::take(&mut self.data) });
        }
    }

    /// The body ended. Complete lines of a last event without its blank line
    /// still count; a cut-off line does not.
    ///
    /// # Errors
    /// [`Incomplete`] when the body ended inside a line.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) -> Result<(), Incomplete> {
        self.pending_cr = false;
        if !self.buf.is_empty() {
            self.buf.clear();
            return Err(Incomplete);
        }
        self.dispatch(out);
        Ok(())
    }
}

/// What one provider makes of decoded events.
pub trait SseHandler: Send {
    /// Map one event to stream events.
    ///
    /// # Errors
    /// A malformed event or an error the provider sent in the stream.
    fn event(&mut self, event: &SseEvent, out: &mut Vec<super::StreamEvent>) -> Result<(), super::ProviderError>;

    /// At the end of the body: whether the stream reached its proper end.
    ///
    /// # Errors
    /// [`super::ErrorKind::Truncated`] naming the missing end marker.
    fn finished(&self) -> Result<(), super::ProviderError>;
}

/// A [`super::WireParser`] for any `text/event-stream` protocol.
#[derive(Debug, Default)]
pub struct SseParser<H> {
    sse: SseDecoder,
    events: Vec<SseEvent>,
    handler: H,
}

impl<H: SseHandler> SseParser<H> {
    fn drain(&mut self, out: &mut Vec<super::StreamEvent>) -> Result<(), super::ProviderError> {
        for e in std::mem::take(&mut self.events) {
            self.handler.event(&e, out)?;
        }
        Ok(())
    }
}

impl<H: SseHandler> super::WireParser for SseParser<H> {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<super::StreamEvent>) -> Result<(), super::ProviderError> {
        self.sse.feed(bytes, &mut self.events);
        self.drain(out)
    }

    fn finish(&mut self, out: &mut Vec<super::StreamEvent>) -> Result<(), super::ProviderError> {
        let end = self.sse.finish(&mut self.events);
        self.drain(out)?;
        match (end, self.handler.finished()) {
            (_, Err(e)) => Err(e),
            (Err(Incomplete), Ok(())) => {
                Err(super::ProviderError::new(super::ErrorKind::Truncated, "the reply stream ended mid-event"))
            }
            (Ok(()), Ok(())) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_in_pieces(input: &[u8], cuts: &[usize]) -> (Vec<SseEvent>, Result<(), Incomplete>) {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        let mut last = 0;
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        for c in cuts {
            d.feed(&input[last..c], &mut out);
            last = c;
        }
        d.feed(&input[last..], &mut out);
        let end = d.finish(&mut out);
        (out, end)
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent { event: event.map(str::to_owned), data: data.to_owned() }
    }

    const SAMPLE: &str = "\u{feff}: comment\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\ndata: line one\ndata:line two\n\n:keep-alive\n\nevent: ping\ndata: {}\r\rdata: ü日本\n\nid: 7\nretry: 100\ndata: [DONE]\n\n";

    #[test]
    fn the_sample_decodes_to_the_expected_events() {
        let (events, end) = decode_in_pieces(SAMPLE.as_bytes(), &[]);
        assert_eq!(end, Ok(()));
        assert_eq!(
            events,
            vec![
                ev(Some("message_start"), "{\"a\":1}"),
                ev(None, "line one\nline two"),
                ev(Some("ping"), "{}"),
                ev(None, "ü日本"),
                ev(None, "[DONE]"),
            ]
        );
    }

    #[test]
    fn an_empty_piece_between_cr_and_lf_changes_nothing() {
        // Found by the split property: "\r" | "" | "\n" read as two line ends.
        let input = b"event: start\r\ndata: x\r\n\r\n";
        let at = input.iter().position(|&b| b == b'\r').unwrap() + 1;
        assert_eq!(decode_in_pieces(input, &[at, at]), decode_in_pieces(input, &[]));
        assert_eq!(decode_in_pieces(input, &[]).0, vec![ev(Some("start"), "x")]);
    }

    #[test]
    fn a_last_event_without_its_blank_line_counts_but_a_cut_line_does_not() {
        let (events, end) = decode_in_pieces(b"data: a\n\ndata: b\n", &[]);
        assert_eq!((events.len(), end), (2, Ok(())));
        let (events, end) = decode_in_pieces(b"data: a\n\ndata: {\"cut", &[]);
        assert_eq!((events, end), (vec![ev(None, "a")], Err(Incomplete)));
    }

    proptest! {
        #[test]
        fn any_split_of_a_valid_stream_gives_the_same_events(cuts in proptest::collection::vec(0usize..200, 0..12)) {
            let whole = decode_in_pieces(SAMPLE.as_bytes(), &[]);
            prop_assert_eq!(decode_in_pieces(SAMPLE.as_bytes(), &cuts), whole);
        }

        #[test]
        fn random_bytes_never_panic_and_decode_alike_in_any_pieces(bytes in proptest::collection::vec(any::<u8>(), 0..512), cuts in proptest::collection::vec(0usize..512, 0..8)) {
            prop_assert_eq!(decode_in_pieces(&bytes, &cuts), decode_in_pieces(&bytes, &[]));
        }
    }
}
