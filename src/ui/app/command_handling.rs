//! Reacting to what the user asked for: threads made, opened and sent to,
//! files attached, sidebar and palette actions, branching off.

use super::*;

impl PakApp {
    pub(super) fn create_thread(&mut self) -> ThreadId {
        self.create_thread_in(None)
    }

    pub(super) fn create_thread_in(&mut self, project: Option<ProjectId>) -> ThreadId {
        let id = ThreadId::new();
        self.send(Command::CreateThread { id, project });
        // Shown at once; the backend's ThreadChanged replaces it.
        self.vm.threads.insert(id, new_thread_row(id, project));
        self.open_thread_with(id, String::new(), true);
        id
    }

    /// Open a chat that exists only on screen until something is put in it
    /// (a file, a draft, a message; see [`Self::ensure_thread`]): a file
    /// picker cancelled on the start screen leaves no empty chat behind.
    /// The composer keeps what it holds.
    pub(super) fn open_unsaved_thread(&mut self) -> ThreadId {
        let id = ThreadId::new();
        let text = std::mem::take(&mut self.composer.text);
        self.open_thread_with(id, text, true);
        id
    }

    /// Make thread `id` for real if it is only on screen so far.
    pub(super) fn ensure_thread(&mut self, id: ThreadId) {
        if !self.vm.threads.contains_key(&id) {
            self.send(Command::CreateThread { id, project: None });
            self.vm.threads.insert(id, new_thread_row(id, None));
        }
    }

    pub(super) fn open_thread(&mut self, id: ThreadId) {
        if self.vm.open.as_ref().is_some_and(|o| o.id == id) {
            return;
        }
        // An edit in progress is given up; the draft it set aside comes back.
        self.composer.end_edit();
        self.save_draft_now();
        // Keep the text being left as that thread's draft for when it reopens.
        if let Some(current) = self.vm.open.as_ref().map(|o| o.id)
            && let Some(row) = self.vm.threads.get_mut(&current)
        {
            row.draft.clone_from(&self.composer.text);
        }
        let draft = self.vm.threads.get(&id).map(|t| t.draft.clone()).unwrap_or_default();
        self.open_thread_with(id, draft, false);
        self.send(Command::OpenThread { id, tail: usize::try_from(PAGE * 2).unwrap_or(100) });
    }

    pub(super) fn open_thread_with(&mut self, id: ThreadId, draft: String, brand_new: bool) {
        let mut open = OpenThread::new(id);
        // A brand-new thread has nothing to load.
        open.loaded = brand_new;
        self.vm.open = Some(open);
        self.composer.editing = None;
        self.composer.text = draft;
        self.composer.dirty_since = None;
        self.composer.wants_focus = true;
        self.rename = None;
    }

    pub(super) fn send_message(&mut self, text: String) {
        let thread = match self.vm.open.as_ref() {
            Some(open) => open.id,
            None => self.create_thread(),
        };
        let attachments: Vec<AttachmentId> = self
            .vm
            .open
            .as_ref()
            .filter(|o| o.id == thread)
            .map(|o| o.waiting_attachments().iter().map(|a| a.id).collect())
            .unwrap_or_default();
        let images = self.image_mode.then(|| self.image_form.options()).flatten();
        self.send_message_to(thread, text, attachments, images);
    }

    /// Send `text` (with files waiting in the main composer) into `thread`,
    /// shown at once as pending in every window that shows the thread.
    pub(super) fn send_message_to(
        &mut self,
        thread: ThreadId,
        text: String,
        attachments: Vec<AttachmentId>,
        images: Option<crate::backend::ImageOptions>,
    ) {
        self.ensure_thread(thread);
        let id = MessageId::new();
        // Shown at once as "sending"; the backend's MessageStored replaces it.
        let pending = Message {
            id,
            thread_id: thread,
            parent_id: None,
            role: Role::User,
            content: text.clone(),
            reasoning: String::new(),
            attachments: attachments.clone(),
            model: None,
            status: MessageStatus::Sending,
            failure: None,
            usage: None,
            created_ms: wall_millis(),
            stamp: Stamp { hlc: crate::domain::Hlc::default(), device: crate::domain::DeviceId::from_bytes([0; 16]) },
        };
        self.vm.add_pending(&pending);
        if let Some(row) = self.vm.threads.get_mut(&thread) {
            row.draft.clear();
        }
        for open in self.vm.opens_mut(thread) {
            // Notes on files refused for the bar go with the bar's files.
            open.attach_notes.clear();
            // Out of the bar at once; they show under the pending message.
            for a in &attachments {
                if let Some(record) = open.attachments.get_mut(a) {
                    record.message_id = Some(id);
                }
            }
        }
        self.send(Command::SendMessage { thread, id, text, attachments, images });
    }

    /// Attach files to the open thread (a new one if none is open).
    pub(super) fn attach(&mut self, files: Vec<IncomingFile>) {
        if files.is_empty() {
            return;
        }
        let thread = match self.vm.open.as_ref() {
            Some(open) => open.id,
            None => self.create_thread(),
        };
        self.send(Command::AttachFiles { thread, files });
    }

    /// Do what a click or shortcut asked for.
    pub fn apply_action(&mut self, action: Action) {
        match action {
            Action::NewThread => {
                self.save_draft_now();
                self.create_thread();
            }
            Action::OpenThread(id) => self.open_thread(id),
            Action::StartRename(id) => {
                let title = self.vm.threads.get(&id).map(|t| t.title.clone()).unwrap_or_default();
                self.rename = Some((id, title));
            }
            Action::SetPinned(id, pinned) => self.send(Command::SetPinned { id, pinned }),
            Action::Delete(id) => {
                let title = self.vm.threads.get(&id).map(|t| t.title.clone()).unwrap_or_default();
                if self.vm.open.as_ref().is_some_and(|o| o.id == id) {
                    self.save_draft_now();
                }
                // One undo at a time: an earlier deletion is final now.
                if let Some((earlier, ..)) = self.undo.take() {
                    self.send(Command::PurgeThread { id: earlier });
                }
                self.undo = Some((id, title, web_time::Instant::now()));
                self.send(Command::DeleteThread { id });
            }
            Action::OpenPalette => self.palette.show(),
            Action::NewProject => {
                let id = ProjectId::new();
                let name = "New project".to_owned();
                self.send(Command::CreateProject { id, name: name.clone() });
                // Shown at once; the backend's ProjectChanged replaces it.
                let stamp =
                    Stamp { hlc: crate::domain::Hlc::default(), device: crate::domain::DeviceId::from_bytes([0; 16]) };
                let project = Project::new(id, name, wall_millis(), stamp);
                self.vm.projects.insert(id, crate::ui::view_model::ProjectRow::Ok(project));
                self.project_form.show(&self.vm, id);
            }
            Action::OpenProject(id) => {
                if let Some(save) = self.project_form.take_edits() {
                    self.send(save);
                }
                self.project_form.show(&self.vm, id);
            }
            Action::OpenInWindow(id) => self.open_window(id),
            Action::NewThreadIn(id) => {
                self.save_draft_now();
                self.create_thread_in(Some(id));
            }
            Action::FoldProject(id, fold) => {
                if fold {
                    self.vm.folded_projects.insert(id);
                } else {
                    self.vm.folded_projects.remove(&id);
                }
            }
            Action::MoveToProject(id, project) => {
                if let Some(row) = self.vm.threads.get_mut(&id) {
                    row.project = project;
                }
                self.send(Command::SetThreadProject { id, project });
            }
        }
    }

    /// Copy `thread` up to `row` into a new thread and open it; the backend
    /// makes the copy before it answers the open request.
    pub(super) fn branch_off(&mut self, thread: ThreadId, row: u64) {
        self.save_draft_now();
        let new_id = ThreadId::new();
        self.send(Command::BranchOff { thread, row, new_id });
        let title = self.vm.threads.get(&thread).map_or_else(String::new, |t| format!("{} (branch)", t.title));
        let source = self.vm.threads.get(&thread).cloned();
        if let Some(mut row) = source {
            // Shown at once; the backend's ThreadChanged replaces it.
            row.id = new_id;
            row.title = title;
            row.pinned = false;
            row.draft.clear();
            row.updated_ms = wall_millis();
            self.vm.threads.insert(new_id, row);
        }
        self.open_thread(new_id);
    }

    /// Open `thread` at the message stored at `position` (a search hit).
    pub(super) fn show_message(&mut self, thread: ThreadId, position: u64) {
        self.open_thread(thread);
        self.send(Command::ShowMessage { thread, position });
    }

    /// Do what was taken from the command palette.
    pub(super) fn apply_palette(&mut self, choice: crate::ui::palette::PaletteChoice) {
        use crate::ui::palette::PaletteChoice;
        match choice {
            PaletteChoice::Thread(id) => self.apply_action(Action::OpenThread(id)),
            PaletteChoice::Message { thread, position } => self.show_message(thread, position),
            PaletteChoice::Action(command) => self.run(command),
        }
    }

    /// Do `command`, given by its key or by name. Commands whose keys a
    /// widget takes itself (sending, scrolling, Esc…) do nothing here.
    pub(super) fn run(&mut self, command: UiCommand) {
        if self.policy.locked && command.kiosk_locked() {
            return;
        }
        let open = self.vm.open.as_ref().map(|o| (o.id, o.count));
        match command {
            UiCommand::Palette if self.palette.open => self.palette.open = false,
            UiCommand::Palette => self.palette.show(),
            UiCommand::NewThread => self.apply_action(Action::NewThread),
            UiCommand::Settings => self.settings_form.open = !self.settings_form.open,
            UiCommand::ApiKeys => self.settings_form.open_at(SettingsTab::ApiKeys),
            UiCommand::ToggleSidebar => self.sidebar_hidden = !self.sidebar_hidden,
            UiCommand::ToggleNavBar => {
                self.vm.settings.show_nav_bar = !self.vm.settings.show_nav_bar;
                let save = self.vm.settings.save();
                self.send(save);
            }
            UiCommand::TogglePersonal => {
                self.vm.settings.hide_personal = !self.vm.settings.hide_personal;
                let save = self.vm.settings.save();
                self.send(save);
            }
            UiCommand::Present => self.set_present(!self.present),
            UiCommand::HighContrast => self.high_contrast = !self.high_contrast,
            UiCommand::Help => self.palette.help = !self.palette.help,
            UiCommand::Rename => {
                if let Some((id, _)) = open.filter(|_| self.rename.is_none()) {
                    self.apply_action(Action::StartRename(id));
                }
            }
            UiCommand::Attach if self.policy.picker() => {
                let thread = match open {
                    Some((id, _)) => id,
                    None => self.open_unsaved_thread(),
                };
                self.send(Command::PickFiles { thread });
            }
            UiCommand::ExportMarkdown | UiCommand::ExportJson => {
                if let Some((id, _)) = open {
                    let format =
                        if command == UiCommand::ExportMarkdown { ExportFormat::Markdown } else { ExportFormat::Json };
                    self.send(Command::Export { what: ExportWhat::Thread { id, format } });
                }
            }
            UiCommand::ExportAll => self.send(Command::Export { what: ExportWhat::All }),
            UiCommand::Import => self.send(Command::Import),
            UiCommand::NewProject => self.apply_action(Action::NewProject),
            UiCommand::BranchOff => {
                if let Some((thread, count)) = open
                    && let Some(last) = count.checked_sub(1)
                {
                    self.branch_off(thread, last);
                }
            }
            UiCommand::OpenInWindow => {
                if let Some((id, _)) = open {
                    self.open_window(id);
                }
            }
            UiCommand::Attach
            | UiCommand::ScrollPage
            | UiCommand::JumpToStart
            | UiCommand::JumpToEnd
            | UiCommand::CloseWindow
            | UiCommand::Send
            | UiCommand::NewLine
            | UiCommand::EditLast
            | UiCommand::Escape
            | UiCommand::Paste => {}
        }
    }

    /// Up in an empty composer: put the last message the user wrote (on
    /// the shown branch, among the loaded rows) in it for editing.
    pub(super) fn edit_last_message(&mut self) {
        let Some(open) = self.vm.open.as_ref() else { return };
        // Only from the end of the thread, where the last message is loaded.
        if open.count == 0 || !open.rows.contains_key(&(open.count - 1)) {
            return;
        }
        let last = open.rows.iter().rev().find_map(|(&row, r)| match &r.content {
            crate::ui::view_model::RowContent::Message(m) if m.role == Role::User => Some((row, m.content.clone())),
            _ => None,
        });
        if let Some((row, text)) = last {
            let thread = open.id;
            self.save_draft_now();
            self.composer.start_edit(thread, row, text);
        }
    }
}
