//! The one system prompt a thread's model receives, put together from what
//! the user wrote in four places: their custom instructions (every chat),
//! the thread's project (instructions and knowledge files), the thread's
//! custom mode, and the thread's own system prompt. Pure, so the UI shows
//! exactly what the backend sends.

use super::{Project, Settings, Thread};

/// The system prompt for `thread` in `project` (the thread's, if any), or
/// `None` when nothing is set.
#[must_use]
pub fn system_prompt(settings: &Settings, project: Option<&Project>, thread: &Thread) -> Option<String> {
    compose(settings, project, thread.mode.as_deref(), &thread.system_prompt)
}

/// The same from the parts: the thread's project, mode id and own prompt
/// (what the UI holds of a thread). A deleted project adds nothing.
#[must_use]
pub fn compose(settings: &Settings, project: Option<&Project>, mode: Option<&str>, own: &str) -> Option<String> {
    let mut sections: Vec<String> = Vec::new();
    let i = &settings.instructions;
    let mut about = Vec::new();
    for (label, value) in [
        ("Call the user", &i.call_me),
        ("The user's occupation", &i.occupation),
        ("Traits the user wants you to have", &i.traits),
        ("More about the user", &i.other),
    ] {
        let value = value.trim();
        if !value.is_empty() {
            about.push(format!("{label}: {value}"));
        }
    }
    if !about.is_empty() {
        sections.push(about.join("\n"));
    }
    if let Some(part) = project.filter(|p| !p.deleted).and_then(Project::prompt) {
        sections.push(part);
    }
    if let Some(mode) = mode.and_then(|id| settings.mode(id)) {
        let prompt = mode.prompt.trim();
        if !prompt.is_empty() {
            sections.push(prompt.to_owned());
        }
    }
    let own = own.trim();
    if !own.is_empty() {
        sections.push(own.to_owned());
    }
    (!sections.is_empty()).then(|| sections.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CustomMode, DeviceId, Stamp, ThreadId};

    fn thread() -> Thread {
        let stamp = Stamp { hlc: crate::Hlc::default(), device: DeviceId::from_bytes([1; 16]) };
        Thread::new(ThreadId::new(), "t".to_owned(), 0, stamp)
    }

    #[test]
    fn instructions_mode_and_own_prompt_are_joined_in_that_order() {
        let mut settings = Settings::default();
        let mut t = thread();
        assert_eq!(system_prompt(&settings, None, &t), None, "nothing set, nothing sent");
        settings.instructions.call_me = " Ada ".to_owned();
        settings.instructions.traits = "Brief.".to_owned();
        settings.modes.push(CustomMode {
            id: "m1".to_owned(),
            name: "Tutor".to_owned(),
            icon: "🎓".to_owned(),
            prompt: "Teach step by step.".to_owned(),
        });
        t.mode = Some("m1".to_owned());
        t.system_prompt = "This chat is about Rust.".to_owned();
        assert_eq!(
            system_prompt(&settings, None, &t).as_deref(),
            Some(
                "Call the user: Ada\nTraits the user wants you to have: Brief.\n\nTeach step by step.\n\n\
                 This chat is about Rust."
            )
        );
        // A project's part goes between the user's instructions and the mode.
        let mut project = crate::Project::new(crate::ProjectId::new(), "P".to_owned(), 0, t.stamp);
        project.instructions = "Use SI units.".to_owned();
        assert_eq!(
            system_prompt(&settings, Some(&project), &t).as_deref(),
            Some(
                "Call the user: Ada\nTraits the user wants you to have: Brief.\n\nThis chat belongs to the \
                 project \"P\".\n\nUse SI units.\n\nTeach step by step.\n\nThis chat is about Rust."
            )
        );
        project.deleted = true;
        assert!(!system_prompt(&settings, Some(&project), &t).unwrap_or_default().contains("SI units"));
        // A mode deleted since is simply not there.
        settings.modes.clear();
        settings.instructions = crate::CustomInstructions::default();
        assert_eq!(system_prompt(&settings, None, &t).as_deref(), Some("This chat is about Rust."));
    }
}
