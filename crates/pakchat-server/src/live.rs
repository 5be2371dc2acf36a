//! The live channel: `GET /v1/live` is a server-sent event stream per
//! signed-in device that carries only pokes ("your log reaches seq N") and
//! heartbeats, never a record; devices pull on a poke, on reconnecting and
//! on window focus, so a lost poke costs nothing.
//!
//! Within one process a push pokes through a broadcast channel. Several
//! processes on one PostgreSQL hear each other through `LISTEN`/`NOTIFY`
//! on the channel `pakchat_pokes` (payload `user:seq`): on PostgreSQL every
//! poke, a process's own included, arrives that way, so each is sent once.
//!
//! A stream ends when its session does: at each poke for its user it
//! checks that the session still holds, and signing a device out pokes the
//! user's devices, so the removed one's stream closes at once (on every
//! process) and its reconnection is refused.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use pakchat_protocol::LiveMessage;
use tokio::sync::broadcast;

use crate::api::{ApiError, AppState, Authenticated};

/// The PostgreSQL channel pokes travel on between processes.
pub const CHANNEL: &str = "pakchat_pokes";
/// How often a quiet stream says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(20);

/// A poke: the user and their latest sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Poke {
    /// Whose log moved.
    pub user_id: Arc<str>,
    /// Where it reaches now.
    pub seq: u64,
}

/// Pokes within this process, and how they arrive from others.
#[derive(Clone, Debug)]
pub struct Live {
    local: broadcast::Sender<Poke>,
    /// PostgreSQL: pokes go out by `NOTIFY` and come back through the listener.
    via_postgres: bool,
}

impl Live {
    /// Pokes for a server on `database_url`: on PostgreSQL, a task listens
    /// for other processes' pokes (and reconnects when the connection drops).
    #[must_use]
    pub fn start(database_url: &str) -> Self {
        let (local, _) = broadcast::channel(4096);
        let via_postgres = !database_url.starts_with("sqlite:");
        if via_postgres {
            tokio::spawn(listen(database_url.to_owned(), local.clone()));
        }
        Self { local, via_postgres }
    }

    /// Tell every device of `user_id` (on every process) that the log reaches `seq`.
    pub async fn poke(&self, db: &crate::db::Db, user_id: &str, seq: u64) {
        if self.via_postgres {
            if let Err(e) = db.notify(CHANNEL, &format!("{user_id}:{seq}")).await {
                tracing::warn!(err = %e, "a poke could not be sent to the other processes");
                self.local_poke(user_id, seq);
            }
        } else {
            self.local_poke(user_id, seq);
        }
    }

    fn local_poke(&self, user_id: &str, seq: u64) {
        // No device listening is not a failure.
        if self.local.send(Poke { user_id: user_id.into(), seq }).is_err() {
            tracing::trace!("a poke with nobody listening");
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Poke> {
        self.local.subscribe()
    }
}

async fn listen(url: String, local: broadcast::Sender<Poke>) {
    loop {
        match listen_once(&url, &local).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(err = %e, "the poke listener lost PostgreSQL; trying again in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn listen_once(url: &str, local: &broadcast::Sender<Poke>) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    loop {
        let note = listener.recv().await?;
        let Some((user, seq)) = note.payload().rsplit_once(':') else { continue };
        let Ok(seq) = seq.parse() else { continue };
        if local.send(Poke { user_id: user.into(), seq }).is_err() {
            tracing::trace!("a poke with nobody listening");
        }
    }
}

fn event(message: &LiveMessage) -> Event {
    let data = serde_json::to_string(message).unwrap_or_else(|_| "{}".to_owned());
    Event::default().data(data)
}

/// `GET /v1/live`: pokes for this session's user, starting with where the
/// log is now. No task per connection: the stream itself waits on the
/// broadcast (an idle device costs its socket and a receiver).
pub(crate) async fn stream(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let pokes = state.live.subscribe();
    let now = state.db.log_seq(&session.user_id).await?;
    let listening = Listening {
        first: Some(now),
        pokes,
        user: session.user_id.into(),
        token_hash: session.token_hash,
        db: state.db.clone(),
    };
    let stream = futures_util::stream::unfold(listening, |mut l| async move {
        let seq = l.next_seq().await?;
        Some((Ok(event(&LiveMessage::Poke { seq })), l))
    });
    let heartbeat = serde_json::to_string(&LiveMessage::Heartbeat).unwrap_or_default();
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).event(Event::default().data(heartbeat))))
}

/// One device's place on the channel.
struct Listening {
    first: Option<u64>,
    pokes: broadcast::Receiver<Poke>,
    user: Arc<str>,
    token_hash: String,
    db: crate::db::Db,
}

impl Listening {
    /// The next sequence number to tell this device, or `None` when the
    /// stream should end: the session is over (signed out, removed,
    /// expired) or the channel closed (the server is stopping).
    async fn next_seq(&mut self) -> Option<u64> {
        if let Some(seq) = self.first.take() {
            return Some(seq);
        }
        loop {
            let seq = match self.pokes.recv().await {
                Ok(p) if p.user_id == self.user => p.seq,
                Ok(_) => continue,
                // Fell behind: say where the log is now instead.
                Err(broadcast::error::RecvError::Lagged(_)) => match self.db.log_seq(&self.user).await {
                    Ok(seq) => seq,
                    Err(_) => continue,
                },
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            // (A storage failure is not the session's end: poke anyway.)
            return match self.db.session(&self.token_hash, crate::db::now_ms()).await {
                Ok(None) => None,
                Ok(Some(_)) | Err(_) => Some(seq),
            };
        }
    }
}
