//! The app's thread windows: opening one, drawing each in its viewport every
//! frame, their drafts, and what their composers send.

use super::PakApp;
use crate::backend::Command;
use crate::domain::ThreadId;
use crate::ui::thread_window::{ThreadWindow, WindowOutput, thread_window_ui};
use crate::ui::view_model::PAGE;

impl PakApp {
    /// Open `thread` in a window of its own (or bring its window forward).
    pub(super) fn open_window(&mut self, thread: ThreadId) {
        if let Some(w) = self.vm.windows.iter().find(|w| w.open.id == thread) {
            self.focus_window = Some(w.viewport_id());
            return;
        }
        let draft = match self.vm.open.as_ref() {
            // The main composer holds the newest text of the thread it shows.
            Some(open) if open.id == thread => self.composer.text.clone(),
            _ => self.vm.threads.get(&thread).map(|t| t.draft.clone()).unwrap_or_default(),
        };
        let serial = self.next_window;
        self.next_window += 1;
        self.vm.windows.push(ThreadWindow::new(serial, thread, draft));
        self.send(Command::OpenThread { id: thread, tail: usize::try_from(PAGE * 2).unwrap_or(100) });
    }

    /// A new chat in a new window (what a second launch of the app asks
    /// for). Like a new chat in the main window, it is stored only once
    /// something is put in it: a window closed untouched leaves no empty chat.
    pub(super) fn open_new_chat_window(&mut self) {
        let id = ThreadId::new();
        let serial = self.next_window;
        self.next_window += 1;
        let mut window = ThreadWindow::new(serial, id, String::new());
        window.open.loaded = true;
        self.vm.windows.push(window);
    }

    /// Answer second launches of the app: a new chat in a new window once
    /// the profile is open; before that, the main window comes forward.
    pub(super) fn answer_window_requests(&mut self, ctx: &egui::Context) {
        if self.vm.window_requests == 0 {
            return;
        }
        if self.vm.phase == crate::ui::view_model::Phase::Ready {
            for _ in 0..self.vm.window_requests {
                self.open_new_chat_window();
            }
        } else {
            ctx.send_viewport_cmd_to(egui::ViewportId::ROOT, egui::ViewportCommand::Focus);
        }
        self.vm.window_requests = 0;
    }

    /// Draw every thread window and act on what they ask for.
    pub(super) fn windows_ui(&mut self, ctx: &egui::Context) {
        let mut commands = Vec::new();
        let mut outputs = Vec::new();
        let focus = self.focus_window.take();
        let mut acted = Vec::new();
        // Out of the view model while drawn, so each window's model picker
        // can change the view model's settings.
        let mut windows = std::mem::take(&mut self.vm.windows);
        for window in &mut windows {
            let thread = window.open.id;
            let title = self
                .vm
                .threads
                .get(&thread)
                .map_or_else(|| crate::backend::DEFAULT_TITLE.to_owned(), |t| t.title.clone());
            let builder = egui::ViewportBuilder::default()
                .with_title(format!("{title} — Pak.Chat"))
                .with_inner_size([720.0, 640.0])
                .with_min_inner_size([360.0, 320.0]);
            let id = window.viewport_id();
            if focus == Some(id) {
                ctx.send_viewport_cmd_to(id, egui::ViewportCommand::Focus);
            }
            let before = commands.len();
            let vm = &mut self.vm;
            let output = ctx.show_viewport_immediate(id, builder, |ui, class| {
                let mut send = |c| commands.push(c);
                if class == egui::ViewportClass::EmbeddedWindow {
                    thread_window_ui(ui, window, &title, vm, &mut send)
                } else {
                    let panel = egui::CentralPanel::default();
                    panel.show(ui, |ui| thread_window_ui(ui, window, &title, vm, &mut send)).inner
                }
            });
            if commands.len() > before && !self.vm.threads.contains_key(&thread) {
                acted.push(thread);
            }
            outputs.push((window.serial, thread, output));
        }
        self.vm.windows = windows;
        // Something was done in a window whose chat is only on screen (a
        // model chosen, say): the chat is made for real first.
        for id in acted {
            self.ensure_thread(id);
        }
        for command in commands {
            self.send(command);
        }
        for (serial, thread, output) in outputs {
            match output {
                WindowOutput::None => {}
                WindowOutput::Send(text) => self.send_message_to(thread, text, Vec::new(), None),
                WindowOutput::SendEdit(edit, text) => {
                    self.send(Command::EditMessage { thread: edit.thread, row: edit.row, text });
                }
                WindowOutput::Stop => self.send(Command::StopReply { thread }),
                WindowOutput::BranchOff(row) => self.branch_off(thread, row),
                WindowOutput::Close => self.close_window(serial),
            }
        }
    }

    /// Close window `serial`, keeping what its composer holds as the draft.
    fn close_window(&mut self, serial: u64) {
        let Some(at) = self.vm.windows.iter().position(|w| w.serial == serial) else { return };
        let mut window = self.vm.windows.remove(at);
        if let Some(draft) = take_draft(&mut window) {
            self.save_thread_draft(draft);
        }
    }

    fn save_thread_draft(&mut self, (thread, text): (ThreadId, String)) {
        if !self.vm.threads.contains_key(&thread) {
            // A chat only on screen is made by its first words, not by none.
            if text.trim().is_empty() {
                return;
            }
            self.ensure_thread(thread);
        }
        if let Some(row) = self.vm.threads.get_mut(&thread) {
            row.draft.clone_from(&text);
        }
        self.send(Command::SaveDraft { thread, text });
    }

    /// Save the drafts of windows whose text has rested for [`super::DRAFT_DELAY`].
    pub(super) fn tick_window_drafts(&mut self, ctx: &egui::Context) {
        let mut due = Vec::new();
        for w in &mut self.vm.windows {
            if let Some(since) = w.composer.dirty_since {
                let elapsed = since.elapsed();
                if elapsed >= super::DRAFT_DELAY {
                    due.extend(take_draft(w));
                } else {
                    ctx.request_repaint_after(super::DRAFT_DELAY.saturating_sub(elapsed));
                }
            }
        }
        for draft in due {
            self.save_thread_draft(draft);
        }
    }

    /// Save every window's unsaved text (the app is closing).
    pub(super) fn save_window_drafts(&mut self) {
        let due: Vec<_> = self.vm.windows.iter_mut().filter_map(take_draft).collect();
        for draft in due {
            self.save_thread_draft(draft);
        }
    }
}

/// A window's unsaved composer text, marked saved.
fn take_draft(window: &mut ThreadWindow) -> Option<(ThreadId, String)> {
    window.composer.dirty_since.take()?;
    Some((window.open.id, window.composer.text.clone()))
}
