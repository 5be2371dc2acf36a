//! `pakchat share TITLE [--days N] | --list | --revoke ID`: share links
//! from a script. `share TITLE` copies the chat of that title (the branch
//! the app shows) into a link on the account's server and prints the link
//! (its key is in the `#fragment`: whoever has the line can read the
//! copy); `--list` prints the account's links, one a line (id, state, the
//! chat's title and the link where this device made it); `--revoke ID`
//! stops one opening.

use crate::backend::shares;
use crate::store::{SealedStore, Store as _, ThreadSlot};

/// A command of `pakchat share`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareCommand {
    /// Make a link of the chat titled `title`.
    Make {
        /// The chat's title, exactly.
        title: String,
        /// How long the link opens, in days (None: until revoked).
        days: Option<u32>,
    },
    /// List the account's links.
    List,
    /// Revoke a link.
    Revoke {
        /// Its id, as `--list` prints it.
        id: String,
    },
}

/// Run `command` on the open profile `store`.
pub(super) fn run(
    store: &SealedStore,
    command: &ShareCommand,
    runtime: &tokio::runtime::Handle,
) -> Result<String, String> {
    match command {
        ShareCommand::Make { title, days } => {
            let thread = find(store, title)?;
            let copy = shares::snapshot(store, thread).map_err(|e| e.to_string())??;
            runtime.block_on(shares::upload(store, &copy, *days))
        }
        ShareCommand::List => {
            let list = runtime.block_on(shares::list(store))?;
            let now = i64::try_from(crate::domain::wall_millis()).unwrap_or(i64::MAX);
            let lines: Vec<String> = list
                .iter()
                .map(|l| {
                    let state = match (l.revoked_ms, l.expires_ms) {
                        (Some(_), _) => "revoked",
                        (None, Some(at)) if at <= now => "expired",
                        _ => "open",
                    };
                    let title = l.title.as_deref().unwrap_or("(made on another device)");
                    format!("{}\t{state}\t{title}\t{}", l.id, l.link.as_deref().unwrap_or("-"))
                })
                .collect();
            Ok(lines.join("\n"))
        }
        ShareCommand::Revoke { id } => {
            runtime.block_on(shares::revoke(store, id))?;
            Ok(format!("revoked the link {id}: it no longer opens"))
        }
    }
}

/// The one chat titled `title`.
fn find(store: &SealedStore, title: &str) -> Result<crate::domain::ThreadId, String> {
    let matching: Vec<_> = store
        .threads()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|slot| match slot {
            ThreadSlot::Ok(t) if !t.deleted && t.title == title => Some(t.id),
            _ => None,
        })
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("no chat is titled {title:?}")),
        more => Err(format!("{} chats are titled {title:?}: rename one in the app first", more.len())),
    }
}
