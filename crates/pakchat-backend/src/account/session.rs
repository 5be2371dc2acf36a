//! The actor's side of the account: sign-in runs as a task (the browser may
//! take minutes) and reports back; the account is read after unlocking and
//! checked with the server in the background, so a session the server ended
//! shows as "sign in again" without the user asking; sign-out forgets it
//! even when the server cannot be told. A kiosk's guests never sign in.

use std::sync::Arc;

use pakchat_core::{Account, AccountUser};

use super::AccountError;
use crate::actor::{Actor, misrouted, to_actor};
use crate::store::Store as _;
use crate::{AccountView, Command, Event};

/// Numbers sign-ins, so a report of one that a newer one replaced (or that
/// was cancelled) is told apart from the current one's.
#[cfg(not(target_arch = "wasm32"))]
static SIGN_INS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// What an account task reports to the actor.
pub(crate) enum AccountReport {
    /// Sign-in number `.0` ended.
    #[cfg_attr(target_arch = "wasm32", expect(dead_code, reason = "the web signs in with the web build"))]
    SignedIn(u64, Result<(Account, Option<Vec<u8>>), AccountError>),
    /// The server answered whether the session `token` holds.
    Checked {
        /// The session asked about (a newer sign-in makes the answer moot).
        token: String,
        /// Who the server says it is, or why not.
        result: Result<AccountUser, AccountError>,
        /// The session that replaced it, when it was near its end.
        rotated: Option<(String, i64)>,
    },
}

impl Actor {
    /// `SignIn`, `CancelSignIn`, `SignOut`.
    pub(crate) async fn handle_account(&mut self, command: Command) {
        match command {
            Command::SignIn { server } => self.start_sign_in(server),
            Command::CancelSignIn => {
                // The number stays: the task's report of the cancel is this sign-in's.
                if let Some(cancel) = self.sign_in.as_mut().and_then(|(_, c)| c.take()) {
                    // The task may have just finished; then there is nothing to stop.
                    cancel.send(()).ok();
                }
            }
            Command::SignOut => self.sign_out().await,
            _ => misrouted("account"),
        }
    }

    fn start_sign_in(&mut self, server: String) {
        if self.config.lockdown.guest {
            self.events.send(Event::Error { thread: None, message: "Signing in is not available here.".to_owned() });
            return;
        }
        #[cfg(target_arch = "wasm32")]
        {
            drop(server);
            self.events.send(Event::Error {
                thread: None,
                message: "Signing in from the browser comes with the web build's sync.".to_owned(),
            });
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
            let number = SIGN_INS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Some((_, Some(previous))) = self.sign_in.replace((number, Some(cancel))) {
                // The newer click wins; the older flow ends quietly.
                previous.send(()).ok();
            }
            self.events.send(Event::Account(AccountView::SigningIn { server: server.clone(), url: None }));
            let (inbox, events) = (self.inbox.clone(), self.events.clone());
            let shown_server = server.clone();
            let show = move |url: &str| {
                let url = Some(url.to_owned());
                events.send(Event::Account(AccountView::SigningIn { server: shown_server.clone(), url }));
            };
            let options = super::SignInOptions {
                server,
                client_id: super::client_id_override(),
                client_secret: super::client_secret(),
                wait: std::time::Duration::from_secs(300),
                device: self.store.as_ref().map(|s| s.device_id().0.to_string()),
            };
            let browser = self.config.browser.clone().or_else(|| std::env::var("BROWSER").ok());
            let open = move |url: &str| super::open_with(browser.as_deref(), url);
            self.rt.spawn(async move {
                let flow = async {
                    let account = super::sign_in(&options, &open, &show).await?;
                    let avatar = match super::http_client() {
                        Ok(http) => super::fetch_avatar(&http, &account.user.picture).await,
                        Err(_) => None,
                    };
                    Ok((account, avatar))
                };
                let result = tokio::select! {
                    r = flow => r,
                    _ = cancelled => Err(AccountError::Abandoned("Sign-in cancelled.".to_owned())),
                };
                to_actor(&inbox, AccountReport::SignedIn(number, result));
            });
        }
    }

    /// Apply what an account task reported.
    pub(crate) async fn on_account_report(&mut self, report: AccountReport) {
        match report {
            AccountReport::SignedIn(number, result) => {
                let current = self.sign_in.as_ref().is_some_and(|(n, _)| *n == number);
                if current {
                    self.sign_in = None;
                } else if matches!(result, Err(AccountError::Abandoned(_))) {
                    // An older sign-in a newer one replaced: nothing to say.
                    return;
                }
                match result {
                    Ok((mut account, avatar)) => {
                        let saved = self
                            .with_store(move |s| {
                                if let Some(bytes) = avatar {
                                    account.avatar = Some(s.put_blob(&bytes)?);
                                }
                                s.put_account(Some(&account))?;
                                s.flush()?;
                                Ok(account)
                            })
                            .await;
                        match saved {
                            Ok(account) => {
                                tracing::info!("signed in");
                                self.show_account(Some(account)).await;
                            }
                            Err(e) => self.account_error(format!("Signed in, but it could not be saved: {e}")).await,
                        }
                    }
                    Err(AccountError::Abandoned(why)) => {
                        self.announce_account().await;
                        self.events.send(Event::Status { message: Some(why) });
                    }
                    Err(e) => self.account_error(format!("Sign-in failed: {e}")).await,
                }
            }
            AccountReport::Checked { token, result, rotated } => {
                let current = self.with_store(crate::store::Store::account).await.ok().flatten();
                let Some(mut account) = current.filter(|a| a.token == token) else { return };
                match result {
                    Ok(user) if user == account.user && rotated.is_none() => {}
                    Ok(user) => {
                        account.user = user;
                        if let Some((token, expires_ms)) = rotated {
                            (account.token, account.expires_ms) = (token, expires_ms);
                        }
                        self.save_and_show(account).await;
                    }
                    Err(AccountError::SignedOut) => {
                        tracing::info!("the server ended this device's session");
                        account.expired = true;
                        self.save_and_show(account).await;
                    }
                    // Offline or the server is away: what is known stands.
                    Err(e) => tracing::debug!(err = %e, "the session could not be checked"),
                }
            }
        }
    }

    pub(crate) async fn save_and_show(&mut self, account: Account) {
        let kept = account.clone();
        match self.with_store(move |s| s.put_account(Some(&kept)).and_then(|()| s.flush())).await {
            Ok(()) => self.show_account(Some(account)).await,
            Err(e) => tracing::warn!(err = %e, "the account's new state could not be saved"),
        }
    }

    async fn account_error(&mut self, message: String) {
        self.announce_account().await;
        self.events.send(Event::Error { thread: None, message });
    }

    /// After unlocking: show the account kept in the profile and ask the
    /// server, in the background, whether its session still holds.
    pub(crate) async fn announce_account(&mut self) {
        let account = match self.with_store(crate::store::Store::account).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(err = %e, "the account record could not be read");
                None
            }
        };
        if let Some(a) = account.as_ref().filter(|a| !a.expired) {
            let (inbox, server, token) = (self.inbox.clone(), a.server.clone(), a.token.clone());
            let near_end = super::near_end(a.expires_ms);
            self.rt.spawn(async move {
                let (result, rotated) = match super::http_client() {
                    Ok(http) => {
                        let result = super::check(&http, &server, &token).await;
                        // Near its end, the session is swapped for a fresh one.
                        let rotated = match &result {
                            Ok(_) if near_end => super::rotate(&http, &server, &token).await.ok(),
                            _ => None,
                        };
                        (result, rotated)
                    }
                    Err(e) => (Err(e), None),
                };
                to_actor(&inbox, AccountReport::Checked { token, result, rotated });
            });
        }
        self.show_account(account).await;
    }

    async fn show_account(&mut self, account: Option<Account>) {
        self.follow_account(account.as_ref().is_some_and(|a| !a.expired)).await;
        let view = match account {
            None => AccountView::SignedOut,
            Some(a) if a.expired => AccountView::Expired { server: a.server, user: a.user },
            Some(a) => {
                let avatar = match a.avatar {
                    Some(blob) => self
                        .with_store(move |s| Ok(s.blob(&blob)?.and_then(|b| crate::media::decode_preview(&b, 96))))
                        .await
                        .ok()
                        .flatten()
                        .map(|p| crate::attachments::image_of(&p)),
                    None => None,
                };
                AccountView::SignedIn { server: a.server, user: a.user, avatar }
            }
        };
        self.events.send(Event::Account(view));
    }

    async fn sign_out(&mut self) {
        let Ok(Some(account)) = self.with_store(crate::store::Store::account).await else {
            self.show_account(None).await;
            return;
        };
        let forgotten = self.with_store(|s| s.put_account(None).and_then(|()| s.flush())).await;
        if let Err(e) = forgotten {
            self.events.send(Event::Error { thread: None, message: format!("Could not sign out: {e}") });
            return;
        }
        self.show_account(None).await;
        // Tell the server; if it is away the session ends there on its own.
        let events = self.events.clone();
        let account = Arc::new(account);
        self.rt.spawn(async move {
            let told = match super::http_client() {
                Ok(http) => super::end_session(&http, &account.server, &account.token).await,
                Err(e) => Err(e),
            };
            let message = match told {
                Ok(()) => "Signed out.".to_owned(),
                Err(e) => format!("Signed out here; {e}, so the session ends there on its own."),
            };
            events.send(Event::Status { message: Some(message) });
        });
    }
}
