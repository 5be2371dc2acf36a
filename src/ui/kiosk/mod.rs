//! [`KioskApp`]: Pak.Chat on a shared computer. Each visitor starts on the
//! welcome screen and gets a guest session: a [`PakApp`] over a backend
//! whose store lives in memory under a throwaway key, with the admin's
//! settings, keys and limits, and nothing that reaches settings, keys,
//! export or other windows. "End session", or no input for the configured
//! time (after a visible countdown), wipes the session: the app, its
//! backend and store are dropped, egui's widget memory and textures are
//! cleared, and the next frame shows the welcome screen.
//!
//! The window cannot be closed except by the admin (PIN, checked by the
//! backend's [`KioskServices`], as the logo is decoded there); copying to the clipboard and opening links are dropped from
//! egui's output unless the configuration allows them.

mod words;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use egui::{Key, Modifiers, RichText, Ui};
use web_time::Instant;
use zeroize::Zeroizing;

use crate::backend::{BackendHandle, Stopped};
use crate::kiosk::{KioskConfig, KioskServices};

use super::PakApp;
use super::policy::Policy;
pub use words::{Words, words};

/// Accessible name of the admin PIN field.
pub const PIN_LABEL: &str = "Admin PIN";

/// Makes the backend of a new guest session.
pub type BackendFactory = Box<dyn FnMut(&egui::Context) -> (BackendHandle, Stopped)>;

/// The time, as the kiosk sees it (a test moves it by hand).
pub type Clock = Box<dyn Fn() -> Instant>;

/// One visitor's session.
struct Session {
    app: PakApp,
    /// Kept so the backend's end can be waited for when the app exits.
    stopped: Stopped,
}

/// The welcome screen's logo, decoded by the backend.
enum Logo {
    /// Not asked for yet.
    NotAsked,
    /// Being decoded.
    Coming(mpsc::Receiver<Option<crate::backend::Image>>),
    /// On screen.
    Shown(egui::TextureHandle),
    /// None configured, or it did not decode.
    None,
}

impl Logo {
    /// Ask for the logo once; take it when it has come.
    fn update(&mut self, ctx: &egui::Context, services: &KioskServices) {
        match self {
            Self::NotAsked => {
                let (tx, rx) = mpsc::channel();
                let ctx = ctx.clone();
                services.load_logo(move |logo| {
                    if tx.send(logo).is_ok() {
                        ctx.request_repaint();
                    }
                });
                *self = Self::Coming(rx);
            }
            Self::Coming(rx) => match rx.try_recv() {
                Ok(Some(image)) => {
                    let color = super::attachments::color_image(image);
                    *self = Self::Shown(ctx.load_texture("kiosk logo", color, egui::TextureOptions::LINEAR));
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => *self = Self::None,
                Err(mpsc::TryRecvError::Empty) => {}
            },
            Self::Shown(_) | Self::None => {}
        }
    }
}

/// The admin's exit prompt.
#[derive(Default)]
struct AdminPrompt {
    pin: Zeroizing<String>,
    /// A check running off the UI thread, and when its answer may be taken.
    checking: Option<(mpsc::Receiver<bool>, Instant)>,
    wrong: u32,
    /// The PIN field takes the keyboard on the next frame.
    focus: bool,
}

impl AdminPrompt {
    fn new() -> Self {
        Self { focus: true, ..Self::default() }
    }
}

/// The kiosk application.
pub struct KioskApp {
    config: Arc<KioskConfig>,
    services: KioskServices,
    new_backend: BackendFactory,
    clock: Clock,
    session: Option<Session>,
    last_input: Instant,
    admin: Option<AdminPrompt>,
    /// The admin's PIN was right: the window may close.
    exiting: bool,
    /// The welcome screen's style was applied.
    styled: bool,
    logo: Logo,
    /// Sessions wiped so far (for tests and the log).
    wiped: u64,
    /// Times the window was asked to fill the screen.
    fill_tries: u8,
}

impl KioskApp {
    /// A kiosk on `config`; `new_backend` makes each session's backend,
    /// `services` (on the same `config`) check the PIN and decode the logo.
    #[must_use]
    pub fn new(config: Arc<KioskConfig>, services: KioskServices, new_backend: BackendFactory) -> Self {
        // What a visitor's session drops is zeroed, not just given back.
        #[cfg(not(target_arch = "wasm32"))]
        crate::zeroing_alloc::zero_freed_memory();
        let clock: Clock = Box::new(Instant::now);
        let last_input = clock();
        Self {
            config,
            services,
            new_backend,
            clock,
            session: None,
            last_input,
            admin: None,
            exiting: false,
            styled: false,
            logo: Logo::NotAsked,
            wiped: 0,
            fill_tries: 0,
        }
    }

    /// Use `clock` for idle time (tests simulate its passing).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.last_input = clock();
        self.clock = clock;
        self
    }

    /// The visitor's app, while a session runs.
    #[must_use]
    pub fn session(&self) -> Option<&PakApp> {
        self.session.as_ref().map(|s| &s.app)
    }

    /// Sessions wiped since the kiosk started.
    #[must_use]
    pub fn wiped(&self) -> u64 {
        self.wiped
    }

    /// What the UI offers a visitor.
    fn policy(&self) -> Policy {
        let c = &self.config;
        Policy {
            locked: true,
            file_dialogs: c.allow_file_dialogs,
            clipboard: c.allow_clipboard,
            links: c.allow_links,
            attachments: !c.attachments.is_empty(),
            image_generation: c.image_generation,
            models: Some(c.models()),
        }
    }

    fn start_session(&mut self, ctx: &egui::Context) {
        let (backend, stopped) = (self.new_backend)(ctx);
        let mut app = PakApp::new(backend).with_policy(self.policy()).presenting(self.config.high_contrast);
        app.preset(crate::kiosk::session_settings(&self.config), crate::kiosk::session_keys(&self.config));
        self.session = Some(Session { app, stopped });
        self.last_input = (self.clock)();
        tracing::info!("guest session started");
    }

    /// Wipe the session: everything of the visitor's goes.
    fn end_session(&mut self, ctx: &egui::Context) {
        if let Some(mut session) = self.session.take() {
            // Dropping the app closes the backend's channel; its store, in
            // memory under a key nobody kept, goes with it.
            session.app.stop_backend();
            drop(session);
            self.wiped += 1;
            tracing::info!(wiped = self.wiped, "guest session wiped");
        }
        // Text fields keep their text and undo history in egui's memory.
        ctx.memory_mut(|m| {
            m.data.clear();
            m.reset_areas();
        });
        ctx.forget_all_images();
        if self.config.allow_clipboard {
            // What this visitor copied or marked is not the next one's to paste.
            ctx.copy_text(String::new());
            ctx.output_mut(|o| o.commands.push(egui::OutputCommand::TextSelectionSettled(String::new())));
        }
        // Laid-out text of the last frames is dropped once it goes unused.
        ctx.request_repaint();
        self.admin = None;
        self.styled = false;
        self.last_input = (self.clock)();
    }

    /// Note input; wipe an idle session. Returns the seconds left when the
    /// countdown is showing.
    fn idle_check(&mut self, ctx: &egui::Context) -> Option<u64> {
        let active =
            ctx.input(|i| !i.events.is_empty() || i.pointer.delta() != egui::Vec2::ZERO || i.pointer.any_down());
        let now = (self.clock)();
        if active {
            self.last_input = now;
        }
        self.session.as_ref()?;
        let idle = now.saturating_duration_since(self.last_input);
        if idle >= self.config.idle_timeout {
            self.end_session(ctx);
            return None;
        }
        let left = self.config.idle_timeout.saturating_sub(idle);
        if left <= self.config.idle_warning {
            ctx.request_repaint_after(Duration::from_secs(1).min(left));
            Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
        } else {
            // One wake-up when the countdown is due; nothing while idle before.
            ctx.request_repaint_after(left - self.config.idle_warning);
            None
        }
    }

    fn welcome_style(&mut self, ctx: &egui::Context) {
        if self.styled {
            return;
        }
        ctx.set_zoom_factor(self.config.text_scale);
        // The fonts a session uses, from the first screen on.
        ctx.set_fonts(super::fonts::font_definitions(
            crate::domain::InterfaceFont::Inter,
            crate::domain::CodeFont::JetBrainsMono,
            &super::fonts::SystemFonts::default(),
        ));
        super::theme::apply(ctx, self.config.high_contrast);
        self.styled = true;
    }

    fn welcome_ui(&mut self, ui: &mut Ui) -> bool {
        let w = words(self.config.language);
        self.logo.update(ui.ctx(), &self.services);
        let mut start = false;
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() / 5.0);
                if let Logo::Shown(logo) = &self.logo {
                    // At most its own pixels on screen: a small logo is never
                    // blown up into a blur; a large one is scaled down to fit.
                    let scale = 1.0 / ui.ctx().pixels_per_point();
                    ui.add(egui::Image::new(logo).fit_to_original_size(scale).max_height(160.0).max_width(480.0));
                    ui.add_space(16.0);
                }
                let heading = self.config.welcome_text.as_deref().unwrap_or(w.welcome);
                ui.label(RichText::new(heading).heading());
                ui.add_space(12.0);
                ui.label(w.privacy);
                ui.add_space(24.0);
                start = ui
                    .add(
                        super::theme::primary_button(ui, RichText::new(w.start).heading())
                            .min_size(egui::vec2(200.0, 48.0)),
                    )
                    .clicked();
            });
        });
        start || ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
    }

    /// The bar above a session: End session, the admin's way out.
    fn session_bar_ui(&mut self, ui: &mut Ui, countdown: Option<u64>) -> bool {
        let w = words(self.config.language);
        let mut end = false;
        egui::Panel::top("kiosk bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                end = ui.button(w.end).clicked();
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.small_button("Admin").on_hover_text("Administrator exit").clicked() {
                        self.admin = Some(AdminPrompt::new());
                    }
                });
            });
            if let Some(left) = countdown {
                ui.horizontal(|ui| {
                    ui.colored_label(ui.visuals().warn_fg_color, w.idle.replace("{}", &left.to_string()));
                    if ui.button(w.still_here).clicked() {
                        self.last_input = (self.clock)();
                    }
                });
            }
        });
        end
    }

    /// The admin's PIN prompt, a modal dialog: centred over a scrim that
    /// takes every click, the PIN field focused, Enter checks the PIN, Esc
    /// or Cancel closes it. `true` once the PIN was right.
    fn admin_ui(&mut self, ui: &mut Ui) -> bool {
        let Some(prompt) = self.admin.as_mut() else { return false };
        // Each wrong try makes the next answer wait a second longer, against
        // guessing; the wait is kept here, not slept on any thread.
        if let Some((rx, ready_at)) = &prompt.checking {
            let now = Instant::now();
            let answer = if now < *ready_at {
                ui.ctx().request_repaint_after(*ready_at - now);
                Err(mpsc::TryRecvError::Empty)
            } else {
                rx.try_recv()
            };
            match answer {
                Ok(true) => return true,
                Ok(false) | Err(mpsc::TryRecvError::Disconnected) => {
                    prompt.checking = None;
                    prompt.wrong += 1;
                    prompt.pin = Zeroizing::new(String::new());
                    prompt.focus = true;
                }
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        let mut close = false;
        egui::Modal::new(egui::Id::unique("kiosk admin")).show(ui.ctx(), |ui| {
            ui.set_width(320.0);
            ui.heading("Administrator");
            ui.label("Enter the admin PIN to close Pak.Chat.");
            let label = ui.label(PIN_LABEL);
            let busy = prompt.checking.is_some();
            let field = ui
                .add_enabled(
                    !busy,
                    egui::TextEdit::singleline(&mut *prompt.pin).password(true).desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            // Before focus is asked back: losing it is how Enter shows.
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            // Asked until it holds (the dialog's first frame only sizes it),
            // and again whenever nothing has the keyboard (a click on the scrim).
            if ui.ctx().memory(|m| m.focused().is_none()) {
                prompt.focus = true;
            }
            if prompt.focus && !busy {
                if field.has_focus() {
                    prompt.focus = false;
                } else {
                    field.request_focus();
                }
            }
            if prompt.wrong > 0 {
                let tries = if prompt.wrong == 1 { "1 try".to_owned() } else { format!("{} tries", prompt.wrong) };
                ui.colored_label(ui.visuals().error_fg_color, format!("Wrong PIN ({tries})."));
            }
            ui.horizontal(|ui| {
                let exit = ui.add_enabled(!busy, egui::Button::new("Exit Pak.Chat")).clicked();
                if (exit || enter) && !busy && !prompt.pin.is_empty() {
                    let (tx, rx) = mpsc::channel();
                    let ctx = ui.ctx().clone();
                    // Argon2id takes tens of milliseconds: not on the UI thread.
                    self.services.check_pin(prompt.pin.clone(), move |ok| {
                        if tx.send(ok).is_ok() {
                            ctx.request_repaint();
                        }
                    });
                    let ready_at = Instant::now() + Duration::from_secs(u64::from(prompt.wrong.min(30)));
                    prompt.checking = Some((rx, ready_at));
                } else if enter {
                    // Enter in an empty field: keep typing there.
                    prompt.focus = true;
                }
                if busy {
                    ui.spinner();
                }
                close = ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(Key::Escape));
            });
        });
        if close {
            self.admin = None;
        }
        false
    }

    /// Everything `eframe::App::logic` does; callable from tests.
    pub fn logic_step(&mut self, ctx: &egui::Context) {
        if let Some(session) = self.session.as_mut() {
            session.app.logic_step(ctx);
        } else {
            self.welcome_style(ctx);
        }
    }

    /// Fill the monitor. Fullscreen is asked for when the window is made,
    /// but without a window manager (a bare X server, as kiosks often run)
    /// nobody acts on it: the window sizes itself.
    /// A few tries only: a desktop that refuses must not cost a frame forever.
    fn fill_screen(&mut self, ctx: &egui::Context) {
        if self.fill_tries >= 20 {
            return;
        }
        let (monitor, inner) = ctx.input(|i| (i.viewport().monitor_size, i.viewport().inner_rect));
        let (Some(monitor), Some(inner)) = (monitor, inner) else { return };
        if (inner.size() - monitor).length() > 1.0 || inner.min != egui::Pos2::ZERO {
            self.fill_tries += 1;
            ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(egui::Pos2::ZERO));
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(monitor));
        }
    }

    /// Everything `eframe::App::ui` does; callable from tests.
    pub fn ui_step(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.fill_screen(&ctx);
        // Alt+F4, the window's close button, the desktop's "close": ignored.
        if ctx.input(|i| i.viewport().close_requested()) && !self.exiting {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
        if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND | Modifiers::ALT | Modifiers::SHIFT, Key::A)) {
            self.admin = Some(AdminPrompt::new());
        }
        let countdown = self.idle_check(&ctx);
        // The admin's dialog goes first and holds the keyboard: nothing
        // behind it sees a key (Enter would start a session, or send).
        if self.admin_ui(ui) {
            self.end_session(&ctx);
            self.exiting = true;
            tracing::info!("the admin closed the kiosk");
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.admin.is_some() {
            ui.input_mut(|i| {
                i.events.retain(|e| {
                    !matches!(
                        e,
                        egui::Event::Key { .. }
                            | egui::Event::Text(_)
                            | egui::Event::Paste(_)
                            | egui::Event::PasteImage(_)
                            | egui::Event::MiddleClickPaste { .. }
                            | egui::Event::Copy
                            | egui::Event::Cut
                            | egui::Event::Ime(_)
                    )
                });
                i.keys_down.clear();
            });
        }
        if self.session.is_some() {
            if self.session_bar_ui(ui, countdown) {
                self.end_session(&ctx);
            } else if let Some(session) = self.session.as_mut() {
                session.app.ui_step(ui);
            }
        } else if self.welcome_ui(ui) {
            self.start_session(&ctx);
        }
        self.filter_output(&ctx);
    }

    /// Drop what the configuration does not allow from this frame's output.
    fn filter_output(&self, ctx: &egui::Context) {
        let (clipboard, links) = (self.config.allow_clipboard, self.config.allow_links);
        ctx.output_mut(|o| {
            o.commands.retain(|c| match c {
                egui::OutputCommand::CopyText(_)
                | egui::OutputCommand::CopyImage(_)
                | egui::OutputCommand::TextSelectionSettled(_) => clipboard,
                egui::OutputCommand::OpenUrl(_) => links,
            });
        });
    }

    /// Wait (at most `timeout`) for the last session's backend to stop.
    pub fn wait_stopped(&mut self, timeout: Duration) {
        if let Some(mut session) = self.session.take() {
            session.app.stop_backend();
            let Session { app, stopped } = session;
            drop(app);
            if !stopped.wait(timeout) {
                tracing::warn!("the guest session's backend did not stop in time");
            }
        }
    }
}

impl eframe::App for KioskApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_step(ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.ui_step(ui);
    }

    fn on_exit(&mut self) {
        // Nothing of the visitor's is saved: the session just ends.
        self.wait_stopped(Duration::from_secs(5));
    }
}
