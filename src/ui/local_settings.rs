//! The settings as this UI shows them, with its own edits applied at once.
//!
//! Every edit is sent as a whole [`Settings`] value numbered by a revision;
//! the backend echoes the revision with the value it stored. An echo older
//! than the UI's newest edit is ignored: applying it would show an older
//! value for a moment, and an edit made from that older value would save it
//! back, losing what the newer edit had changed (seen as a lost favourite
//! when a star and a model choice were saved in quick succession).

use std::ops::{Deref, DerefMut};

use crate::backend::Command;
use crate::domain::Settings;

/// [`Settings`] plus the revision of the UI's newest edit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocalSettings {
    value: Settings,
    revision: u64,
}

impl LocalSettings {
    /// The command that stores the current value (after an edit through
    /// `DerefMut`).
    #[must_use]
    pub fn save(&mut self) -> Command {
        self.revision += 1;
        Command::SaveSettings { settings: self.value.clone(), revision: self.revision }
    }

    /// Take the backend's value unless an edit newer than `revision` is
    /// still on its way (revision 0: not an answer to an edit).
    pub fn apply(&mut self, settings: Settings, revision: u64) {
        if revision >= self.revision {
            self.value = settings;
        }
    }
}

impl Deref for LocalSettings {
    type Target = Settings;
    fn deref(&self) -> &Settings {
        &self.value
    }
}

impl DerefMut for LocalSettings {
    fn deref_mut(&mut self) -> &mut Settings {
        &mut self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echo_of_an_older_edit_does_not_undo_a_newer_one() {
        let mut local = LocalSettings::default();
        local.favourites.clear();
        local.text_scale = 1.5;
        let Command::SaveSettings { settings: first, revision: r1 } = local.save() else { unreachable!() };
        local.text_scale = 2.0;
        let Command::SaveSettings { settings: second, revision: r2 } = local.save() else { unreachable!() };
        local.apply(first, r1);
        assert!((local.text_scale - 2.0).abs() < f32::EPSILON, "the older echo was ignored");
        local.apply(second, r2);
        assert!((local.text_scale - 2.0).abs() < f32::EPSILON);
        // A value the backend sends on its own (another window, a reload) is taken once nothing is in flight.
        let elsewhere = Settings { text_scale: 3.0, ..Settings::default() };
        local.apply(elsewhere, r2);
        assert!((local.text_scale - 3.0).abs() < f32::EPSILON);
    }

    #[test]
    fn a_failed_save_reverts_to_what_the_backend_holds() {
        let mut local = LocalSettings::default();
        let edit: &mut Settings = &mut local; // as the UI edits it
        edit.text_scale = 1.7;
        let Command::SaveSettings { revision, .. } = local.save() else { unreachable!() };
        // The backend could not store it and answers with what it has.
        local.apply(Settings::default(), revision);
        assert!((local.text_scale - 1.0).abs() < f32::EPSILON);
    }
}
