//! The sidebar's lines, grouped (pinned, projects, then by day) and cached
//! until the thread list, the project list, a fold or the day changes.

use super::*;

/// One line of the sidebar list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SidebarItem {
    /// A group heading.
    Heading(Group),
    /// A project's heading (its threads follow, unless folded).
    Project(ProjectId),
    /// A thread.
    Thread(ThreadId),
    /// A thread listed under its project.
    ProjectThread(ThreadId),
}

impl ViewModel {
    /// The sidebar lines for `now` (local time), cached until the thread list
    /// or the day changes. Shared, so a frame takes them without copying.
    pub fn sidebar_items(&mut self, now: &chrono::DateTime<chrono::Local>) -> std::sync::Arc<[SidebarItem]> {
        let day = now.date_naive().to_epoch_days().into();
        let built_from = [self.threads.changes(), self.projects.changes(), self.folded_projects.changes()];
        let stale = !matches!(&self.sidebar_cache, Some((v, d, _)) if *v == built_from && *d == day);
        if stale {
            let live = |t: &&ThreadRow| !t.deleted;
            // Pinned first; then each project with its threads; then the
            // threads in no project by date.
            let in_project = |t: &ThreadRow| t.project.filter(|p| self.projects.contains_key(p));
            let mut rows: Vec<(Group, u64, ThreadId)> = self
                .threads
                .values()
                .filter(live)
                .filter(|t| t.pinned || in_project(t).is_none())
                .map(|t| (group_of(t.pinned, t.updated_ms, now), t.updated_ms, t.id))
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
            let mut by_project: HashMap<ProjectId, Vec<(u64, ThreadId)>> = HashMap::new();
            for t in self.threads.values().filter(live).filter(|t| !t.pinned) {
                if let Some(p) = in_project(t) {
                    by_project.entry(p).or_default().push((t.updated_ms, t.id));
                }
            }
            let mut items = Vec::with_capacity(rows.len() + self.projects.len() * 2 + 6);
            let mut current = None;
            let mut push_projects = |items: &mut Vec<SidebarItem>| {
                for (id, _) in self.projects_by_name() {
                    items.push(SidebarItem::Project(id));
                    if self.folded_projects.contains(&id) {
                        continue;
                    }
                    let mut threads = by_project.remove(&id).unwrap_or_default();
                    threads.sort_by(|a, b| b.cmp(a));
                    items.extend(threads.into_iter().map(|(_, t)| SidebarItem::ProjectThread(t)));
                }
            };
            let mut projects_listed = false;
            for (group, _, id) in rows {
                if group != Group::Pinned && !projects_listed {
                    push_projects(&mut items);
                    projects_listed = true;
                }
                if current != Some(group) {
                    items.push(SidebarItem::Heading(group));
                    current = Some(group);
                }
                items.push(SidebarItem::Thread(id));
            }
            if !projects_listed {
                push_projects(&mut items);
            }
            self.sidebar_cache = Some((built_from, day, items.into()));
        }
        self.sidebar_cache.as_ref().map_or_else(|| std::sync::Arc::from([]), |(_, _, items)| items.clone())
    }
}
