//! How each backend [`Event`] changes the view model, one function per
//! area so each can be read at once.

use super::*;

impl ViewModel {
    /// Apply one backend event.
    pub fn apply(&mut self, event: Event) {
        match event {
            e @ (Event::NeedsSetup { .. }
            | Event::NeedsUnlock { .. }
            | Event::UnlockFailed { .. }
            | Event::StoreFailed { .. }
            | Event::GivingBackSpace { .. }
            | Event::Unlocked { .. }
            | Event::SystemFonts { .. }
            | Event::SearchResults { .. }
            | Event::KeyStatus { .. }
            | Event::KeyChecked { .. }
            | Event::KeysNeeded { .. }
            | Event::SettingsLoaded { .. }
            | Event::Status { .. }
            | Event::WindowRequested
            | Event::ClipboardFiles { .. }
            | Event::Error { .. }
            | Event::Account(_)
            | Event::Sync(_)
            | Event::RecoveryCode(_)
            | Event::EnrolFailed(_)
            | Event::Devices(_)
            | Event::ShareMade { .. }
            | Event::Shares(_)) => self.apply_app(e),
            e @ (Event::ThreadsLoaded { .. }
            | Event::ProjectsLoaded { .. }
            | Event::ProjectChanged { .. }
            | Event::ThreadChanged { .. }) => self.apply_lists(e),
            e @ (Event::ThreadOpened { .. }
            | Event::Outline { .. }
            | Event::MessagesLoaded { .. }
            | Event::MessageStored { .. }
            | Event::SendFailed { .. }
            | Event::MessageDelta { .. }
            | Event::ReplyRetrying { .. }) => self.apply_messages(e),
            e @ (Event::AttachmentAdded { .. }
            | Event::AttachmentRejected { .. }
            | Event::AttachmentsLoaded { .. }
            | Event::AttachmentPreview { .. }
            | Event::AttachmentPreviewMissing { .. }
            | Event::AttachmentImage { .. }
            | Event::AttachmentSaved { .. }) => self.apply_attachments(e),
        }
    }

    /// The profile, settings, keys and notices.
    fn apply_app(&mut self, event: Event) {
        match event {
            Event::NeedsSetup { data_dir, keychain_available } => {
                self.data_dir.clone_from(&data_dir);
                self.phase = Phase::Setup { data_dir, keychain_available };
            }
            Event::NeedsUnlock { protection, problem } => self.phase = Phase::Unlock { protection, problem },
            Event::UnlockFailed { message } => {
                self.unlocking = false;
                self.unlock_error = Some(message);
            }
            Event::StoreFailed { message } => self.phase = Phase::Failed { message },
            Event::GivingBackSpace { percent } => self.giving_back = (percent < 100).then_some(percent),
            Event::Unlocked { protection, data_dir, device } => {
                self.unlocking = false;
                self.unlock_error = None;
                self.protection = Some(protection);
                self.data_dir = data_dir;
                self.device = Some(device);
                self.phase = Phase::Ready;
            }
            Event::SystemFonts { sans, mono } => {
                self.system_fonts = crate::ui::fonts::SystemFonts { loaded: true, sans, mono };
            }
            Event::SearchResults { serial, hits } => {
                // Answers come in order; an older one never replaces a newer.
                if serial >= self.search.0 {
                    self.search = (serial, hits);
                }
            }
            Event::KeyStatus(list) => self.key_status = list,
            Event::KeyChecked { provider, result } => {
                self.key_checks.insert(provider, result);
            }
            Event::KeysNeeded { message } => self.keys_needed = Some(message),
            Event::SettingsLoaded { settings, revision } => self.settings.apply(settings, revision),
            Event::Status { message } => self.status = message,
            Event::WindowRequested => self.window_requests += 1,
            Event::ClipboardFiles { paths } => self.clipboard_files = Some(paths),
            Event::Error { thread, message } => self.errors.push(thread, message),
            Event::Account(view) => self.account = view,
            Event::Sync(view) => {
                // A round may have brought other devices' names: list again
                // when the pane next shows.
                if view == crate::backend::SyncView::Synced && self.sync.0 != crate::backend::SyncView::Synced {
                    self.devices.asked = None;
                }
                // Sync is on (or off): a failed try at turning it on is past.
                if view != crate::backend::SyncView::NoKey {
                    self.enrol_error = None;
                }
                self.sync = (view, web_time::Instant::now());
            }
            Event::RecoveryCode(code) => self.recovery_code = Some(code),
            Event::EnrolFailed(message) => self.enrol_error = Some(message),
            Event::Devices(Ok(list)) => {
                self.devices.list = Some(list);
                self.devices.error = None;
                self.devices.confirm = None;
            }
            Event::Devices(Err(message)) => self.devices.error = Some(message),
            Event::ShareMade { thread, result } => self.shares.made(thread, result),
            Event::Shares(result) => self.shares.listed(result),
            other => misrouted(&other),
        }
    }

    /// The thread and project lists.
    fn apply_lists(&mut self, event: Event) {
        match event {
            Event::ThreadsLoaded(list) => {
                *self.threads = list.into_iter().map(|s| (s.id(), ThreadRow::from(s))).collect();
                self.errors.keep_chats(|t| self.threads.contains_key(&t));
            }
            Event::ProjectsLoaded(list) => {
                self.projects.clear();
                for slot in list {
                    self.apply_project(slot);
                }
            }
            Event::ProjectChanged(slot) => {
                self.apply_project(slot);
            }
            Event::ThreadChanged(summary) => {
                let row = ThreadRow::from(summary);
                if row.deleted {
                    if self.open.as_ref().is_some_and(|o| o.id == row.id) {
                        self.open = None;
                    }
                    self.windows.retain(|w| w.open.id != row.id);
                }
                // The composer owns the draft of the open thread; keep ours.
                let draft = self.threads.get(&row.id).map(|r| r.draft.clone());
                let mut row = row;
                if let Some(picked) = self.model_edits.get(&row.id) {
                    if row.model.as_ref() == Some(picked) {
                        self.model_edits.remove(&row.id);
                    } else {
                        row.model = Some(picked.clone());
                    }
                }
                if let Some(draft) = draft {
                    row.draft = draft;
                }
                self.threads.insert(row.id, row);
            }
            other => misrouted(&other),
        }
    }

    /// An open thread's rows and replies.
    fn apply_messages(&mut self, event: Event) {
        match event {
            Event::ThreadOpened { id, count, start, messages, forks, reveal } => {
                for open in self.opens_mut(id) {
                    // The branch shown may have changed: every row is replaced.
                    open.rows.clear();
                    open.requested.clear();
                    open.view.expanded_reasoning.clear();
                    open.count = count;
                    open.loaded = true;
                    open.insert_slots(start, messages.clone(), &forks);
                    open.outline.reset();
                    if let Some(row) = reveal {
                        open.view.jump_to = Some(row);
                        open.view.flash = Some((row, web_time::Instant::now()));
                    }
                }
            }
            Event::Outline { thread, from, count, user_rows } => {
                for open in self.opens_mut(thread) {
                    open.outline.answer(from, count, user_rows.clone());
                }
            }
            Event::MessagesLoaded { thread, start, messages, forks } => {
                for open in self.opens_mut(thread) {
                    open.requested.remove(&(start / PAGE));
                    open.insert_slots(start, messages.clone(), &forks);
                }
            }
            Event::MessageStored { thread, index, message } => {
                if message.status != MessageStatus::Streaming
                    && self.retry_note.as_ref().is_some_and(|(t, ..)| *t == thread)
                {
                    self.retry_note = None;
                }
                for open in self.opens_mut(thread) {
                    open.pending.retain(|m| m.id != message.id);
                    for id in &message.attachments {
                        if let Some(a) = open.attachments.get_mut(id) {
                            a.message_id = Some(message.id);
                        }
                        open.thumbnails.remove(id);
                    }
                    open.count = open.count.max(index + 1);
                    let fork = open.rows.get(&index).and_then(|r| r.fork);
                    open.view.forget_layout(message.id);
                    let content = RowContent::Message(message.clone());
                    open.rows.insert(index, LoadedRow { content, fork });
                }
            }
            Event::SendFailed { thread, id, text, reason } => {
                for open in self.opens_mut(thread) {
                    open.pending.retain(|m| m.id != id);
                    // Its attachments wait in the composer again.
                    for a in open.attachments.values_mut().filter(|a| a.message_id == Some(id)) {
                        a.message_id = None;
                    }
                }
                self.errors.push(
                    Some(thread),
                    format!("Your message was not saved: {reason}. Its text is back in the composer."),
                );
                self.returned_text = Some((thread, text));
            }
            Event::MessageDelta { thread, index, id, text, reasoning } => {
                for open in self.opens_mut(thread) {
                    if let Some(row) = open.rows.get_mut(&index)
                        && let RowContent::Message(m) = &mut row.content
                        && m.id == id
                    {
                        m.content.push_str(&text);
                        // Appended text: the cached layout re-lays only its last block.
                        m.reasoning.push_str(&reasoning);
                    }
                }
                if self.retry_note.as_ref().is_some_and(|(t, ..)| *t == thread) {
                    self.retry_note = None;
                }
            }
            Event::ReplyRetrying { thread, reason, wait } => {
                self.retry_note = Some((thread, reason, web_time::Instant::now() + wait));
            }
            other => misrouted(&other),
        }
    }

    /// Attachments, their previews and images.
    fn apply_attachments(&mut self, event: Event) {
        match event {
            Event::AttachmentAdded { attachment, thumbnail } => {
                let thumbnail = thumbnail.map(crate::ui::attachments::color_image);
                for open in self.opens_mut(attachment.thread_id) {
                    if let Some(t) = &thumbnail {
                        open.thumbnails.insert(attachment.id, t.clone());
                    }
                    open.attachments.insert(attachment.id, attachment.clone());
                }
            }
            Event::AttachmentRejected { thread, message } => match self.open.as_mut().filter(|o| o.id == thread) {
                Some(open) => open.attach_notes.push(message),
                None => self.errors.push(None, message),
            },
            Event::AttachmentsLoaded { thread, attachments } => {
                for open in self.opens_mut(thread) {
                    open.attachments = attachments.iter().map(|a| (a.id, a.clone())).collect();
                }
            }
            Event::AttachmentPreview { id, image } => {
                let image = crate::ui::attachments::color_image(image);
                let opens = self.open.iter_mut().chain(self.windows.iter_mut().map(|w| &mut w.open));
                for open in opens {
                    if open.previews_requested.remove(&id) {
                        open.previews.insert(id, image.clone());
                    }
                }
            }
            Event::AttachmentPreviewMissing { id, reason } => {
                let opens = self.open.iter_mut().chain(self.windows.iter_mut().map(|w| &mut w.open));
                for open in opens.filter(|o| o.previews_requested.contains(&id)) {
                    open.view.previews_missing.insert(id, reason.clone());
                }
            }
            Event::AttachmentImage { id, image } => {
                if let Some(v) = self.viewer.as_mut().filter(|v| v.id == id) {
                    v.image = Some(crate::ui::attachments::color_image(image));
                }
            }
            Event::AttachmentSaved { id, result } => {
                if let Some(v) = self.viewer.as_mut().filter(|v| v.id == id) {
                    v.status = match result {
                        Ok(Some(path)) => Some(format!("Saved to {}", path.display())),
                        Ok(None) => None,
                        Err(e) => Some(format!("Not saved: {e}")),
                    };
                }
            }
            other => misrouted(&other),
        }
    }
}

/// An event given to the wrong `apply_*` (a mistake in [`ViewModel::apply`]).
fn misrouted(event: &Event) {
    tracing::error!(event = ?std::mem::discriminant(event), "an event reached the wrong part of the view model");
}
