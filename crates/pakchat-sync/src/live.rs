//! The live channel (`GET /v1/live`, server-sent events): pokes saying the
//! user's log reached a sequence number, and heartbeats. A device pulls on
//! a poke; a poke lost while the channel was down costs nothing, since the
//! device also pulls when it reconnects.

use std::future::Future;
use std::pin::pin;

use futures_util::future::Either;
use pakchat_protocol::{LiveMessage, VERSION, VERSION_HEADER};

use crate::{Server, SyncError};

/// The longest an event (one `data:` block) may be before the channel is
/// taken as broken.
const MAX_EVENT: usize = 64 * 1024;

/// The complete events in `buffer` (blocks ending in a blank line), taken
/// out of it; what is left is the start of the next.
fn take_events(buffer: &mut Vec<u8>) -> Vec<LiveMessage> {
    let mut out = Vec::new();
    loop {
        let text = String::from_utf8_lossy(buffer);
        let Some(end) = text.find("\n\n") else { break };
        let block = text[..end].to_owned();
        buffer.drain(..end + 2);
        let data: Vec<&str> =
            block.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| d.strip_prefix(' ').unwrap_or(d)).collect();
        if data.is_empty() {
            continue;
        }
        match serde_json::from_str::<LiveMessage>(&data.join("\n")) {
            Ok(message) => out.push(message),
            Err(e) => tracing::debug!(err = %e, "a live event this version does not know was skipped"),
        }
    }
    out
}

impl Server {
    /// Listen on the live channel until it ends, calling `on_message` for
    /// each message; `quiet()` is a timer started afresh for every read:
    /// if it fires first, the channel is taken as dead (the server sends a
    /// heartbeat every 20 s).
    ///
    /// # Errors
    /// The channel could not be opened, dropped, or went quiet;
    /// [`SyncError::SignedOut`] when the session is over.
    pub async fn live<Q, F>(&self, mut on_message: impl FnMut(LiveMessage), quiet: Q) -> Result<(), SyncError>
    where
        Q: Fn() -> F,
        F: Future<Output = ()>,
    {
        let request = self
            .live_http
            .get(format!("{}/v1/live", self.base))
            .bearer_auth(&self.token)
            .header(VERSION_HEADER, VERSION.to_string());
        let response = request.send().await.map_err(|e| SyncError::Unreachable(e.without_url().to_string()))?;
        match response.status().as_u16() {
            200 => {}
            401 => return Err(SyncError::SignedOut),
            status => return Err(SyncError::Refused(format!("the live channel answered HTTP {status}"))),
        }
        let mut body = response.bytes_stream();
        let mut buffer = Vec::new();
        loop {
            let next = futures_util::StreamExt::next(&mut body);
            let chunk = match futures_util::future::select(pin!(next), pin!(quiet())).await {
                Either::Left((chunk, _)) => chunk,
                Either::Right(((), _)) => {
                    return Err(SyncError::Unreachable("the live channel went quiet".to_owned()));
                }
            };
            match chunk {
                None => return Ok(()),
                Some(Err(e)) => return Err(SyncError::Unreachable(e.without_url().to_string())),
                Some(Ok(bytes)) => {
                    buffer.extend(bytes.iter().filter(|&&b| b != b'\r'));
                    take_events(&mut buffer).into_iter().for_each(&mut on_message);
                    if buffer.len() > MAX_EVENT {
                        return Err(SyncError::Refused("the live channel sent an event too long".to_owned()));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_whole_however_the_bytes_are_split() {
        let stream = b"data: {\"type\":\"poke\",\"seq\":3}\n\n: a comment\n\ndata: {\"type\":\"heartbeat\"}\n\ndata: {\"type\":\"poke\",\"seq\":4}\n\n";
        for split in 1..stream.len() {
            let mut buffer = Vec::new();
            let mut got = Vec::new();
            for piece in stream.chunks(split) {
                buffer.extend_from_slice(piece);
                got.extend(take_events(&mut buffer));
            }
            assert_eq!(
                got,
                [LiveMessage::Poke { seq: 3 }, LiveMessage::Heartbeat, LiveMessage::Poke { seq: 4 }],
                "split every {split} bytes"
            );
            assert!(buffer.is_empty());
        }
    }

    #[test]
    fn an_unknown_event_is_skipped_and_the_next_still_read() {
        let mut buffer = b"data: {\"type\":\"fireworks\"}\n\ndata: {\"type\":\"poke\",\"seq\":9}\n\n".to_vec();
        assert_eq!(take_events(&mut buffer), [LiveMessage::Poke { seq: 9 }]);
    }
}
