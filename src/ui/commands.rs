//! Everything the user can ask of the app by name or by key, in one enum.
//!
//! Each [`UiCommand`] knows its label, its keyboard shortcuts, whether the
//! command palette offers it, whether a kiosk locks it, and where its keys
//! are handled ([`Scope`]). The palette, the help sheet (F1), the menus'
//! shortcut hints and the keyboard handling all read from here, so a key
//! cannot be listed without working, or work without being listed.

use egui::{Key, KeyboardShortcut, Modifiers};

/// Where a command's keys are taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere in the main window: taken once a frame by the app before
    /// anything else is drawn, then run with `PakApp::run`.
    App,
    /// In the message box (sending, new lines, editing the last message).
    Composer,
    /// Over the chat (scrolling and jumping).
    Chat,
    /// In a chat's own window.
    Window,
    /// Wherever it applies: Esc stops, cancels and closes; Ctrl+V pastes.
    Anywhere,
    /// Only by name (the palette) or by a button.
    Palette,
}

/// A command the user can give.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UiCommand {
    /// Open or close the command palette.
    Palette,
    /// Start a new chat.
    NewThread,
    /// Open or close the settings.
    Settings,
    /// Open the settings at the API keys.
    ApiKeys,
    /// Fold or unfold the sidebar.
    ToggleSidebar,
    /// Show or hide the navigation bar.
    ToggleNavBar,
    /// Hide or show personal information.
    TogglePersonal,
    /// Shared-screen presentation on or off.
    Present,
    /// The high-contrast theme on or off.
    HighContrast,
    /// The list of shortcuts.
    Help,
    /// Rename the open chat.
    Rename,
    /// Attach files with the file picker.
    Attach,
    /// Export the open chat as Markdown.
    ExportMarkdown,
    /// Export the open chat as a Pak.Chat archive.
    ExportJson,
    /// Export every chat and the settings.
    ExportAll,
    /// Import a Pak.Chat archive or a ChatGPT export.
    Import,
    /// Create a project.
    NewProject,
    /// Copy the open chat into a new one.
    BranchOff,
    /// Open the open chat in a window of its own.
    OpenInWindow,
    /// Scroll the chat by a page.
    ScrollPage,
    /// Go to the start of the chat.
    JumpToStart,
    /// Go to the end of the chat.
    JumpToEnd,
    /// Close a chat's own window.
    CloseWindow,
    /// Send the message.
    Send,
    /// A new line in the message.
    NewLine,
    /// Edit the last message sent (Up in an empty message box).
    EditLast,
    /// Stop a streaming reply, cancel an edit, close a window.
    Escape,
    /// Paste text, an image or copied files.
    Paste,
}

const fn key(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

/// Page Up: the chat a page back.
pub const PAGE_UP: KeyboardShortcut = key(NONE, Key::PageUp);
/// Page Down: the chat a page on.
pub const PAGE_DOWN: KeyboardShortcut = key(NONE, Key::PageDown);

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers::COMMAND.plus(Modifiers::SHIFT);
const NONE: Modifiers = Modifiers::NONE;

impl UiCommand {
    /// Every command, in the order the help sheet and the palette list them.
    /// Commands whose shortcut holds more modifiers come before those with
    /// fewer, so Ctrl+Shift+S is never taken as Ctrl+S.
    pub const ALL: [Self; 28] = [
        Self::Palette,
        Self::NewThread,
        Self::Settings,
        Self::ApiKeys,
        Self::ToggleSidebar,
        Self::ToggleNavBar,
        Self::TogglePersonal,
        Self::Present,
        Self::HighContrast,
        Self::Help,
        Self::Rename,
        Self::Attach,
        Self::ExportMarkdown,
        Self::ExportJson,
        Self::ExportAll,
        Self::Import,
        Self::NewProject,
        Self::BranchOff,
        Self::OpenInWindow,
        Self::ScrollPage,
        Self::JumpToStart,
        Self::JumpToEnd,
        Self::CloseWindow,
        Self::Send,
        Self::NewLine,
        Self::EditLast,
        Self::Escape,
        Self::Paste,
    ];

    /// Its name, as the palette and the help sheet show it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Palette => "Command palette: search chats, messages and actions",
            Self::NewThread => "New chat",
            Self::Settings => "Open settings",
            Self::ApiKeys => "Manage API keys",
            Self::ToggleSidebar => "Show or hide the sidebar",
            Self::ToggleNavBar => "Show or hide the navigation bar",
            Self::TogglePersonal => "Hide or show personal information",
            Self::Present => "Present on a shared screen (on or off)",
            Self::HighContrast => "High contrast (on or off)",
            Self::Help => "Keyboard shortcuts",
            Self::Rename => "Rename the open chat",
            Self::Attach => "Attach files",
            Self::ExportMarkdown => "Export this chat as Markdown",
            Self::ExportJson => "Export this chat as JSON",
            Self::ExportAll => "Export all data",
            Self::Import => "Import chats (Pak.Chat or ChatGPT export)",
            Self::NewProject => "New project",
            Self::BranchOff => "Branch this chat into a new chat",
            Self::OpenInWindow => "Open this chat in a new window",
            Self::ScrollPage => "Scroll the chat a page up or down",
            Self::JumpToStart => "Go to the start of the chat",
            Self::JumpToEnd => "Go to the end of the chat",
            Self::CloseWindow => "Close a chat's own window",
            Self::Send => "Send the message",
            Self::NewLine => "New line in the message",
            Self::EditLast => "Edit your last message (in an empty message box)",
            Self::Escape => "Stop a streaming reply · cancel an edit · close a window",
            Self::Paste => "Paste text, an image or copied files",
        }
    }

    /// Its keys; the first is the one shown next to its name.
    pub fn shortcuts(self) -> &'static [KeyboardShortcut] {
        match self {
            Self::Palette => const { &[key(CMD, Key::K)] },
            Self::NewThread => const { &[key(CMD, Key::N)] },
            Self::Settings => const { &[key(CMD, Key::Comma)] },
            Self::ToggleSidebar => const { &[key(CMD_SHIFT, Key::S)] },
            Self::Present => const { &[key(CMD_SHIFT, Key::P)] },
            Self::Help => const { &[key(NONE, Key::F1), key(CMD, Key::Slash)] },
            Self::Rename => const { &[key(NONE, Key::F2)] },
            Self::Attach => const { &[key(CMD, Key::O)] },
            Self::ScrollPage => &[PAGE_UP, PAGE_DOWN],
            Self::JumpToStart => const { &[key(Modifiers::ALT, Key::Home)] },
            Self::JumpToEnd => const { &[key(Modifiers::ALT, Key::End)] },
            Self::CloseWindow => const { &[key(CMD, Key::W)] },
            Self::Send => const { &[key(NONE, Key::Enter)] },
            Self::NewLine => const { &[key(Modifiers::SHIFT, Key::Enter)] },
            Self::EditLast => const { &[key(NONE, Key::ArrowUp)] },
            Self::Escape => const { &[key(NONE, Key::Escape)] },
            Self::Paste => const { &[key(CMD, Key::V)] },
            Self::ApiKeys
            | Self::ToggleNavBar
            | Self::TogglePersonal
            | Self::HighContrast
            | Self::ExportMarkdown
            | Self::ExportJson
            | Self::ExportAll
            | Self::Import
            | Self::NewProject
            | Self::BranchOff
            | Self::OpenInWindow => &[],
        }
    }

    /// Where its keys are taken.
    pub fn scope(self) -> Scope {
        match self {
            Self::Palette
            | Self::NewThread
            | Self::Settings
            | Self::ToggleSidebar
            | Self::Present
            | Self::Help
            | Self::Rename
            | Self::Attach => Scope::App,
            Self::ScrollPage | Self::JumpToStart | Self::JumpToEnd => Scope::Chat,
            Self::CloseWindow => Scope::Window,
            Self::Send | Self::NewLine | Self::EditLast => Scope::Composer,
            Self::Escape | Self::Paste => Scope::Anywhere,
            Self::ApiKeys
            | Self::ToggleNavBar
            | Self::TogglePersonal
            | Self::HighContrast
            | Self::ExportMarkdown
            | Self::ExportJson
            | Self::ExportAll
            | Self::Import
            | Self::NewProject
            | Self::BranchOff
            | Self::OpenInWindow => Scope::Palette,
        }
    }

    /// Whether the command palette offers it by name.
    pub fn in_palette(self) -> bool {
        matches!(self.scope(), Scope::Palette)
            || matches!(self, Self::NewThread | Self::Settings | Self::ToggleSidebar | Self::Present | Self::Help)
    }

    /// Whether a kiosk (a shared computer) takes it away: no palette entry,
    /// no key, no line in the help sheet.
    pub fn kiosk_locked(self) -> bool {
        matches!(
            self,
            Self::Settings
                | Self::ApiKeys
                | Self::TogglePersonal
                | Self::ExportMarkdown
                | Self::ExportJson
                | Self::ExportAll
                | Self::Import
                | Self::NewProject
                | Self::OpenInWindow
                | Self::Present
                | Self::CloseWindow
        )
    }

    /// Whether `input` holds one of its keys; takes it if so.
    pub fn consume(self, input: &mut egui::InputState) -> bool {
        // Not `any`: every key of the command is taken, not only the first.
        self.shortcuts().iter().fold(false, |hit, s| input.consume_shortcut(s) | hit)
    }

    /// Its keys as the help sheet shows them ("F1 or Ctrl+/").
    pub fn keys_text(self, is_mac: bool) -> String {
        let keys: Vec<String> = self.shortcuts().iter().map(|s| shortcut_text(s, is_mac)).collect();
        keys.join(" or ")
    }

    /// Its first key as a hint next to a button ("Ctrl+,"), or "".
    pub fn hint(self, ctx: &egui::Context) -> String {
        self.shortcuts()
            .first()
            .map(|s| shortcut_text(s, ctx.os() == egui::os::OperatingSystem::Mac))
            .unwrap_or_default()
    }
}

/// "Ctrl+Shift+S", "Alt+Home", "F1"; "Cmd+…" on a Mac.
pub fn shortcut_text(shortcut: &KeyboardShortcut, is_mac: bool) -> String {
    let mut text = egui::ModifierNames::NAMES.format(&shortcut.modifiers, is_mac);
    if !text.is_empty() {
        text.push('+');
    }
    text.push_str(match shortcut.logical_key {
        Key::Comma => ",",
        Key::Slash => "/",
        Key::ArrowUp => "Up",
        Key::ArrowDown => "Down",
        Key::PageUp => "Page Up",
        Key::PageDown => "Page Down",
        Key::Escape => "Esc",
        other => other.name(),
    });
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_commands_share_a_shortcut() {
        let mut seen: Vec<(KeyboardShortcut, UiCommand)> = Vec::new();
        for command in UiCommand::ALL {
            for shortcut in command.shortcuts() {
                if let Some((_, other)) = seen.iter().find(|(s, _)| s == shortcut) {
                    panic!("{command:?} and {other:?} both use {}", shortcut_text(shortcut, false));
                }
                seen.push((*shortcut, command));
            }
        }
        assert!(seen.len() >= 18, "the shortcuts are all there");
    }

    #[test]
    fn an_app_wide_key_is_never_taken_for_another_commands_key() {
        // egui matches Shift and Alt loosely: Ctrl+S would also take
        // Ctrl+Shift+S. The app takes its keys in `ALL`'s order, so a key
        // with more modifiers must come first.
        let app: Vec<(usize, UiCommand, &KeyboardShortcut)> = UiCommand::ALL
            .iter()
            .enumerate()
            .filter(|(_, c)| c.scope() == Scope::App)
            .flat_map(|(i, c)| c.shortcuts().iter().map(move |s| (i, *c, s)))
            .collect();
        for (i, a, sa) in &app {
            for (j, b, sb) in &app {
                let shadows = sa.logical_key == sb.logical_key && sb.modifiers.matches_logically(sa.modifiers);
                assert!(a == b || !shadows || i > j, "{a:?} would take {b:?}'s key");
            }
        }
    }

    #[test]
    fn every_command_is_reachable_by_key_or_by_name() {
        for command in UiCommand::ALL {
            assert!(!command.shortcuts().is_empty() || command.in_palette(), "{command:?} cannot be reached");
            assert!(!command.label().is_empty());
        }
        assert_eq!(UiCommand::Help.keys_text(false), "F1 or Ctrl+/");
        assert_eq!(UiCommand::ToggleSidebar.keys_text(false), "Ctrl+Shift+S");
        assert_eq!(UiCommand::Settings.keys_text(true), "Cmd+,");
        assert_eq!(UiCommand::Escape.keys_text(false), "Esc");
    }
}
