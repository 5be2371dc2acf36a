//! The actor's side of the account: sign-in runs as a task (the browser may
//! take minutes) and reports back — in a page, the task makes the
//! redirect's [`Pending`](super::redirect::Pending) sign-in, which is
//! sealed into the profile before the page leaves, and the sign-in is
//! finished once the page is back and unlocked; the account is read after unlocking and
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
static SIGN_INS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// What an account task reports to the actor.
pub(crate) enum AccountReport {
    /// Sign-in number `.0` ended.
    SignedIn(u64, Result<(Account, Option<Vec<u8>>), AccountError>),
    /// A page's sign-in number `.0` is ready to leave for the provider.
    #[cfg(target_arch = "wasm32")]
    Begun(u64, Result<(super::redirect::Pending, String), AccountError>),
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
                // A page's sign-in has no task to stop: its report is ignored.
                #[cfg(target_arch = "wasm32")]
                if self.sign_in.take().is_some() {
                    self.announce_account().await;
                    self.events.send(Event::Status { message: Some("Sign-in cancelled.".to_owned()) });
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
            let number = SIGN_INS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.sign_in = Some((number, None));
            self.events.send(Event::Account(AccountView::SigningIn { server: server.clone(), url: None }));
            let inbox = self.inbox.clone();
            self.rt.spawn(async move {
                let begun = match (super::http_client(), super::redirect::page::address()) {
                    (Ok(http), Ok(here)) => {
                        super::redirect::begin(&http, &server, &here, super::client_id_override()).await
                    }
                    (Err(e), _) | (_, Err(e)) => Err(e),
                };
                to_actor(&inbox, AccountReport::Begun(number, begun));
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
                                // A page came back from elsewhere: say it worked.
                                #[cfg(target_arch = "wasm32")]
                                self.events
                                    .send(Event::Status { message: Some(format!("Signed in to {}.", account.server)) });
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
            #[cfg(target_arch = "wasm32")]
            AccountReport::Begun(number, begun) => {
                if self.sign_in.as_ref().is_some_and(|(n, _)| *n == number) {
                    self.leave_for_provider(begun).await;
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

    /// Seal the page's sign-in into the profile, wait until it is written
    /// (the page is about to unload), and send the page to the provider.
    #[cfg(target_arch = "wasm32")]
    async fn leave_for_provider(&mut self, begun: Result<(super::redirect::Pending, String), AccountError>) {
        let (pending, url) = match begun {
            Ok(begun) => begun,
            Err(e) => {
                self.sign_in = None;
                self.account_error(format!("Sign-in failed: {e}")).await;
                return;
            }
        };
        let text = match serde_json::to_string(&pending) {
            Ok(text) => text,
            Err(e) => {
                self.sign_in = None;
                self.account_error(format!("Sign-in failed: {e}")).await;
                return;
            }
        };
        let mut kept = self
            .with_store(move |s| {
                s.put_device_note(crate::store::DeviceNote::SignIn, Some(&text)).and_then(|()| s.flush())
            })
            .await;
        if kept.is_ok()
            && let Some(idb) = &self.idb
        {
            kept = idb.settled().await.map_err(crate::store::StoreError::from);
        }
        if let Err(e) = kept {
            self.sign_in = None;
            self.account_error(format!("Sign-in could not start: this browser did not keep it ({e})")).await;
            return;
        }
        self.events.send(Event::Account(AccountView::SigningIn { server: pending.server, url: Some(url.clone()) }));
        if let Err(e) = super::redirect::page::leave_for(&url) {
            self.sign_in = None;
            self.account_error(format!("Sign-in failed: {e}")).await;
        }
    }

    /// After unlocking a page that came back from the identity provider:
    /// finish the sign-in sealed before it left (a task; it reports
    /// [`AccountReport::SignedIn`] like the desktop's).
    #[cfg(target_arch = "wasm32")]
    pub(crate) async fn finish_page_sign_in(&mut self) {
        let Some(answer) = super::redirect::page::take_answer() else { return };
        let kept = self
            .with_store(|s| {
                let kept = s.device_note(crate::store::DeviceNote::SignIn)?;
                if kept.is_some() {
                    s.put_device_note(crate::store::DeviceNote::SignIn, None)?;
                    s.flush()?;
                }
                Ok(kept)
            })
            .await;
        let pending = match kept {
            Ok(Some(text)) => serde_json::from_str::<super::redirect::Pending>(&text).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(err = %e, "the sign-in kept in the profile could not be read");
                None
            }
        };
        let Some(pending) = pending else {
            self.account_error(
                "Sign-in failed: this page came back from signing in, but no sign-in was started in this \
                 profile. Sign in again."
                    .to_owned(),
            )
            .await;
            return;
        };
        let number = SIGN_INS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.sign_in = Some((number, None));
        self.events.send(Event::Account(AccountView::SigningIn { server: pending.server.clone(), url: None }));
        let device = self.store.as_ref().map(|s| s.device_id().0.to_string());
        let inbox = self.inbox.clone();
        self.rt.spawn(async move {
            let result = async {
                let http = super::http_client()?;
                let secret = super::client_secret();
                let account = super::redirect::finish(&http, &pending, &answer, secret, device.as_deref()).await?;
                let avatar = super::fetch_avatar(&http, &account.user.picture).await;
                Ok((account, avatar))
            }
            .await;
            to_actor(&inbox, AccountReport::SignedIn(number, result));
        });
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
