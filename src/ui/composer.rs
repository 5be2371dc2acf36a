//! The composer: multi-line input, Enter sends, Shift+Enter starts a new line.
//! Its text is the open thread's draft, saved (debounced) as the user types.

use egui::Ui;

use super::commands::UiCommand;

/// Accessible name of the message input.
pub const COMPOSER_LABEL: &str = "Message";

/// The composer's state, owned by the app between frames.
#[derive(Debug, Default)]
pub struct Composer {
    /// What the user has typed.
    pub text: String,
    /// When the text last changed and has not been saved yet.
    pub dirty_since: Option<web_time::Instant>,
    /// Move keyboard focus here on the next frame.
    pub wants_focus: bool,
    /// A message of the user's being edited (its new text is in `text`).
    pub editing: Option<Editing>,
}

/// An edit in progress: what it replaces and the draft it set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editing {
    /// The thread.
    pub thread: crate::domain::ThreadId,
    /// The user's row being edited.
    pub row: u64,
    /// The composer's draft, back once the edit is sent or cancelled.
    pub draft: String,
}

impl Composer {
    /// Put the text of the message at `row` in the composer for editing,
    /// setting the draft aside.
    pub fn start_edit(&mut self, thread: crate::domain::ThreadId, row: u64, text: String) {
        let draft = match self.editing.take() {
            Some(earlier) => earlier.draft,
            None => std::mem::replace(&mut self.text, text.clone()),
        };
        self.text = text;
        self.editing = Some(Editing { thread, row, draft });
        self.wants_focus = true;
    }

    /// End the edit and bring the draft back.
    pub fn end_edit(&mut self) -> Option<Editing> {
        let editing = self.editing.take()?;
        self.text.clone_from(&editing.draft);
        self.wants_focus = true;
        Some(editing)
    }
}

/// What the composer asks for this frame.
#[derive(Debug, PartialEq, Eq)]
pub enum ComposerOutput {
    /// Nothing.
    None,
    /// Send this text.
    Send(String),
    /// Stop the reply that is streaming.
    Stop,
    /// Give up the edit in progress.
    CancelEdit,
    /// Up in an empty composer: edit the last message the user wrote.
    EditLast,
}

/// The share of the window's height the composer may take.
const MAX_HEIGHT_SHARE: f32 = 0.3;

/// Draw the composer at the bottom of the chat.
/// `has_attachments`: files wait to be sent, so an empty text may be sent.
pub fn composer_ui(ui: &mut Ui, composer: &mut Composer, streaming: bool, has_attachments: bool) -> ComposerOutput {
    // Esc stops a streaming reply, wherever the focus is.
    if streaming && ui.input_mut(|i| UiCommand::Escape.consume(i)) {
        return ComposerOutput::Stop;
    }
    if composer.editing.is_some() {
        let mut cancel = ui.input_mut(|i| UiCommand::Escape.consume(i));
        ui.horizontal(|ui| {
            ui.label(
                egui::RichText::new("Editing your message: Enter sends it as a new branch (the original stays).")
                    .color(ui.visuals().warn_fg_color),
            );
            cancel |= ui.small_button("Cancel edit").on_hover_text(UiCommand::Escape.hint(ui.ctx())).clicked();
        });
        if cancel {
            return ComposerOutput::CancelEdit;
        }
    }
    let mut stop = false;
    let id = ui.make_persistent_id("composer");
    // Enter without modifiers sends: take it before the text edit sees it.
    // (`consume_key` matches Shift+Enter too, which must add a line instead:
    // `UiCommand::NewLine`, which the text edit does itself.)
    let focused = ui.memory(|m| m.has_focus(id));
    let enter = focused
        && ui.input_mut(|i| {
            let before = i.events.len();
            i.events.retain(|e| {
                !matches!(e, egui::Event::Key { key, pressed: true, modifiers, .. }
                    if UiCommand::Send.shortcuts().iter().any(|s| s.logical_key == *key && s.modifiers == *modifiers))
            });
            i.events.len() != before
        });
    let mut send = enter;
    // Up in an empty box (as in most chat apps) edits the last message.
    if focused
        && !streaming
        && composer.editing.is_none()
        && composer.text.is_empty()
        && ui.input_mut(|i| UiCommand::EditLast.consume(i))
    {
        return ComposerOutput::EditLast;
    }
    ui.horizontal(|ui| {
        let label = ui.label(COMPOSER_LABEL);
        let send_width = 70.0;
        let edit = egui::TextEdit::multiline(&mut composer.text)
            .id(id)
            .hint_text("Write a message… (Enter sends, Shift+Enter adds a line)")
            .desired_rows(2)
            .desired_width(ui.available_width() - send_width - 8.0)
            .lock_focus(true);
        // At most a third of the window (a long paste scrolls inside the
        // box), so the controls around it stay on screen.
        let max_height = (ui.ctx().content_rect().height() * MAX_HEIGHT_SHARE).clamp(60.0, 360.0);
        // At least its two rows, as the box alone was.
        let two_rows = 2.0 * ui.text_style_height(&egui::TextStyle::Body) + 2.0 * ui.spacing().button_padding.y + 4.0;
        let scroll = egui::ScrollArea::vertical()
            .id_salt("composer scroll")
            .max_height(max_height)
            .min_scrolled_height(two_rows);
        let response = scroll.show(ui, |ui| ui.add(edit)).inner.labelled_by(label.id);
        // An edit is not the draft: the draft waits aside, unchanged.
        if response.changed() && composer.editing.is_none() {
            composer.dirty_since = Some(web_time::Instant::now());
        }
        if composer.wants_focus {
            response.request_focus();
            composer.wants_focus = false;
        }
        if streaming {
            stop = ui
                .add_sized([send_width, 36.0], egui::Button::new("Stop"))
                .on_hover_text(UiCommand::Escape.hint(ui.ctx()))
                .clicked();
        } else if ui.add_sized([send_width, 36.0], super::theme::primary_button(ui, "Send")).clicked() {
            send = true;
        }
    });
    if stop {
        return ComposerOutput::Stop;
    }
    // While a reply streams, Enter keeps the text for the next message.
    let send = send && !streaming;
    if send && (!composer.text.trim().is_empty() || (has_attachments && composer.editing.is_none())) {
        let text = std::mem::take(&mut composer.text);
        composer.dirty_since = None;
        composer.wants_focus = true;
        return ComposerOutput::Send(text);
    }
    ComposerOutput::None
}
