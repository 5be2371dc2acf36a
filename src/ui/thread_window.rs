//! A thread in a window of its own (an egui viewport: a native window on the
//! desktop, an embedded window where the platform has only one). It shows
//! the chat and a composer; the backend's events reach it through the same
//! view model as the main window, so both show every new message, rename
//! and setting in the frame that applies the event.

use egui::{RichText, Ui};

use crate::backend::Command;
use crate::domain::ThreadId;

use super::chat_view::{ChatAction, chat_view_ui};
use super::composer::{Composer, ComposerOutput, Editing, composer_ui};
use super::model_picker::model_picker_ui;
use super::view_model::{OpenThread, ViewModel};

/// Label of the button that closes a thread window.
pub const CLOSE_WINDOW_LABEL: &str = "Close window";

/// One thread window.
#[derive(Debug)]
pub struct ThreadWindow {
    /// Unique among the windows of this run (names the viewport).
    pub serial: u64,
    /// The thread it shows.
    pub open: OpenThread,
    /// Its own composer.
    pub composer: Composer,
    /// Height of the model picker and composer below the chat, as last
    /// drawn: the chat takes the rest, leaving no empty band.
    bottom_height: f32,
}

impl ThreadWindow {
    /// A window on `thread` with `draft` in its composer.
    #[must_use]
    pub fn new(serial: u64, thread: ThreadId, draft: String) -> Self {
        let composer = Composer { text: draft, wants_focus: true, ..Composer::default() };
        Self { serial, open: OpenThread::new(thread), composer, bottom_height: 96.0 }
    }

    /// The viewport this window is drawn in.
    #[must_use]
    pub fn viewport_id(&self) -> egui::ViewportId {
        egui::ViewportId::from_hash_of(("thread window", self.serial))
    }
}

/// What a thread window asks the app to do this frame.
#[derive(Debug, PartialEq, Eq)]
pub enum WindowOutput {
    /// Nothing.
    None,
    /// Send a new message with this text.
    Send(String),
    /// Send the edited message as a new branch.
    SendEdit(Editing, String),
    /// Stop the streaming reply.
    Stop,
    /// Copy the conversation up to this row into a new thread.
    BranchOff(u64),
    /// The window was closed.
    Close,
}

/// Draw `window` into its viewport's `ui`; commands the chat view and the
/// model picker send themselves go to `send`.
pub fn thread_window_ui(
    ui: &mut Ui,
    window: &mut ThreadWindow,
    title: &str,
    vm: &mut ViewModel,
    send: &mut dyn FnMut(Command),
) -> WindowOutput {
    let mut output = WindowOutput::None;
    let close_requested = ui.input(|i| i.viewport().close_requested())
        || ui.input_mut(|i| super::commands::UiCommand::CloseWindow.consume(i));
    ui.horizontal(|ui| {
        ui.add(egui::Label::new(RichText::new(title).heading()).truncate());
        if ui.button(CLOSE_WINDOW_LABEL).on_hover_text(super::commands::UiCommand::CloseWindow.hint(ui.ctx())).clicked()
        {
            output = WindowOutput::Close;
        }
    });
    ui.separator();
    let streaming = window.open.is_writing_here(vm.device);
    let chat_height = (ui.available_height() - window.bottom_height).max(120.0);
    let chat = ui
        .allocate_ui(egui::vec2(ui.available_width(), chat_height), |ui| {
            ui.set_min_size(egui::vec2(ui.available_width(), chat_height));
            chat_view_ui(ui, &mut window.open, true, send)
        })
        .inner;
    match chat {
        Some(ChatAction::Edit { row, text }) => window.composer.start_edit(window.open.id, row, text),
        Some(ChatAction::BranchOff { row }) => output = WindowOutput::BranchOff(row),
        // The image viewer lives in the main window.
        Some(ChatAction::OpenImage(_)) | None => {}
    }
    let bottom_top = ui.cursor().top();
    ui.separator();
    ui.horizontal(|ui| model_picker_ui(ui, vm, Some(window.open.id), send));
    let composed = composer_ui(ui, &mut window.composer, streaming, false);
    // The cursor is past the composer and its spacing: what the bottom needs.
    let bottom_height = ui.cursor().top() - bottom_top;
    if (bottom_height - window.bottom_height).abs() > 0.5 {
        // Settles in the next frame (a taller composer, an edit banner).
        window.bottom_height = bottom_height;
        ui.ctx().request_repaint();
    }
    match composed {
        ComposerOutput::Send(text) => {
            output = match window.composer.end_edit() {
                Some(edit) => WindowOutput::SendEdit(edit, text),
                None => WindowOutput::Send(text),
            };
        }
        ComposerOutput::CancelEdit => {
            window.composer.end_edit();
        }
        ComposerOutput::Stop => output = WindowOutput::Stop,
        ComposerOutput::EditLast | ComposerOutput::None => {}
    }
    if close_requested {
        output = WindowOutput::Close;
    }
    output
}
