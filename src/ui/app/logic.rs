//! Draining the backend's events into the view model each frame, applying
//! the settings to egui, saving drafts once typing rests, and a round of
//! sync when the window comes back to the front.

use super::*;

/// How often coming back to the window asks for a round of sync, at most.
const FOCUS_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl PakApp {
    /// Apply every waiting backend event. Cheap when there are none.
    pub fn drain_events(&mut self) {
        while let Some(event) = self.backend.try_recv() {
            let unlocked = matches!(event, Event::Unlocked { .. });
            let listed = matches!(event, Event::ThreadsLoaded(_));
            self.vm.apply(event);
            if listed {
                self.reopen_last_chat();
            }
            // A file came into a chat that was only on screen: it is kept.
            if let Some(open) = self.vm.open.as_ref().filter(|o| !o.attachments.is_empty()) {
                let id = open.id;
                self.ensure_thread(id);
            }
            if unlocked {
                self.composer.wants_focus = true;
            }
            if let Some((thread, text)) = self.vm.returned_text.take() {
                if self.vm.open.as_ref().is_some_and(|o| o.id == thread) {
                    // Never overwrite what was typed since: put the failed text first.
                    self.composer.text = if self.composer.text.trim().is_empty() {
                        text
                    } else {
                        format!("{text}\n\n{}", self.composer.text)
                    };
                    self.composer.dirty_since = Some(web_time::Instant::now());
                } else if let Some(row) = self.vm.threads.get_mut(&thread) {
                    // Kept as that thread's draft (and saved) for when it is opened.
                    row.draft = if row.draft.trim().is_empty() { text } else { format!("{text}\n\n{}", row.draft) };
                    let draft = row.draft.clone();
                    self.send(Command::SaveDraft { thread, text: draft });
                }
            }
        }
    }

    /// At start, the chat last written in is open again (as it was left),
    /// unless something else was opened or typed meanwhile.
    fn reopen_last_chat(&mut self) {
        if self.reopened || self.vm.open.is_some() || !self.composer.text.is_empty() || self.policy.locked {
            return;
        }
        self.reopened = true;
        // A chat never written in (still "New chat", no draft: one a second
        // launch opened, say) is passed over for one that was.
        let written = |t: &&crate::ui::view_model::ThreadRow| {
            t.title != crate::backend::DEFAULT_TITLE || !t.draft.trim().is_empty()
        };
        let last = self
            .vm
            .threads
            .values()
            .filter(|t| !t.deleted && t.unreadable.is_none())
            .max_by_key(|t| (written(t), t.updated_ms));
        if let Some(id) = last.map(|t| t.id) {
            self.open_thread(id);
        }
    }

    pub(super) fn apply_settings(&mut self, ctx: &egui::Context) {
        let s = &self.vm.settings;
        // Compare the scale in hundredths so an unchanged setting costs nothing.
        let scale = if self.present && !self.policy.locked { s.text_scale * PRESENT_SCALE } else { s.text_scale };
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let key = (s.theme, (scale * 100.0).round() as u32);
        if self.applied_theme != Some(key) {
            ctx.set_theme(match s.theme {
                ThemePreference::System => egui::ThemePreference::System,
                ThemePreference::Light => egui::ThemePreference::Light,
                ThemePreference::Dark => egui::ThemePreference::Dark,
            });
            if (0.5..=4.0).contains(&scale) {
                ctx.set_zoom_factor(scale);
            }
            self.applied_theme = Some(key);
            self.relayout_frames = RELAYOUT_FRAMES;
        }
        if self.applied_contrast != Some(self.high_contrast) {
            crate::ui::theme::apply(ctx, self.high_contrast);
            self.applied_contrast = Some(self.high_contrast);
            self.relayout_frames = RELAYOUT_FRAMES;
        }
        let s = &self.vm.settings;
        let fonts = (s.interface_font, s.code_font, self.vm.system_fonts.loaded);
        if self.applied_fonts != Some(fonts) {
            let wants_system = s.interface_font == InterfaceFont::System || s.code_font == CodeFont::System;
            if wants_system && !self.vm.system_fonts.loaded && !self.asked_for_system_fonts {
                // Read from disk in the backend; the bundled font stands in until then.
                self.asked_for_system_fonts = true;
                self.send(Command::LoadSystemFonts);
            }
            ctx.set_fonts(crate::ui::fonts::font_definitions(fonts.0, fonts.1, &self.vm.system_fonts));
            self.applied_fonts = Some(fonts);
            self.relayout_frames = RELAYOUT_FRAMES;
        }
    }

    /// Save the composer text as the open thread's draft if it changed.
    pub fn save_draft_now(&mut self) {
        if self.composer.dirty_since.take().is_none() {
            return;
        }
        let text = self.composer.text.clone();
        let thread = match self.vm.open.as_ref() {
            Some(open) if text.trim().is_empty() && !self.vm.threads.contains_key(&open.id) => return,
            Some(open) => open.id,
            None if text.trim().is_empty() => return,
            // Text typed before any thread exists gets a thread, so it is
            // kept; the composer goes on holding it (opening the new thread
            // must not empty it under the user's fingers).
            None => {
                let id = self.create_thread();
                self.composer.text.clone_from(&text);
                id
            }
        };
        self.ensure_thread(thread);
        if let Some(row) = self.vm.threads.get_mut(&thread) {
            row.draft.clone_from(&text);
        }
        self.send(Command::SaveDraft { thread, text });
    }

    pub(super) fn tick_drafts(&mut self, ctx: &egui::Context) {
        if let Some(since) = self.composer.dirty_since {
            let elapsed = since.elapsed();
            if elapsed >= DRAFT_DELAY {
                self.save_draft_now();
            } else {
                ctx.request_repaint_after(DRAFT_DELAY.saturating_sub(elapsed));
            }
        }
        if let Some((id, _, at)) = &self.undo {
            let elapsed = at.elapsed();
            if elapsed >= UNDO_WINDOW {
                // Too late to undo: its messages and files go for good.
                let id = *id;
                self.undo = None;
                self.send(Command::PurgeThread { id });
            } else {
                ctx.request_repaint_after(UNDO_WINDOW.saturating_sub(elapsed));
            }
        }
    }

    /// Hold the text cursor still after [`CURSOR_BLINK_TIMEOUT`] without
    /// input; the first input gives it back its own blinking.
    fn tick_cursor_blink(&mut self, ctx: &egui::Context) {
        let now = web_time::Instant::now();
        if ctx.input(|i| !i.events.is_empty() || i.pointer.is_moving()) {
            self.last_input = now;
            if let Some(blink) = self.blink_held.take() {
                ctx.all_styles_mut(|s| s.visuals.text_cursor.blink = blink);
            }
        } else if self.blink_held.is_none() && now.duration_since(self.last_input) >= CURSOR_BLINK_TIMEOUT {
            self.blink_held = Some(ctx.global_style().visuals.text_cursor.blink);
            ctx.all_styles_mut(|s| s.visuals.text_cursor.blink = false);
            // One more frame draws the cursor steady.
            ctx.request_repaint();
        }
    }

    /// A round of sync when the window comes back to the front, so what
    /// changed on other devices shows even if a poke was lost; at most one
    /// per [`FOCUS_SYNC_EVERY`].
    fn tick_focus_sync(&mut self, ctx: &egui::Context) {
        let focused = ctx.input(|i| i.focused);
        let gained = focused && !self.was_focused;
        self.was_focused = focused;
        let on = !matches!(self.vm.sync.0, crate::backend::SyncView::Off | crate::backend::SyncView::NoKey);
        let due = self.focus_synced.is_none_or(|at| at.elapsed() >= FOCUS_SYNC_EVERY);
        if gained && on && due {
            self.focus_synced = Some(web_time::Instant::now());
            self.send(Command::SyncNow);
        }
    }

    /// Everything `eframe::App::logic` does; callable from tests and benches.
    pub fn logic_step(&mut self, ctx: &egui::Context) {
        self.drain_events();
        self.apply_settings(ctx);
        if self.relayout_frames > 0 {
            // New fonts and styles take effect with the next pass, so the rows
            // are laid out again in this frame and in the next.
            self.relayout_frames -= 1;
            self.vm.forget_layouts();
            ctx.request_repaint();
        }
        self.tick_drafts(ctx);
        self.tick_cursor_blink(ctx);
        self.tick_focus_sync(ctx);
        self.tick_window_drafts(ctx);
        self.answer_window_requests(ctx);
    }
}
