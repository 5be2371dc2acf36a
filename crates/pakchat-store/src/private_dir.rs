//! A profile folder only its owner can enter: folders Pak.Chat creates are
//! 0700 and the files in a profile 0600 (on Unix), so another local
//! account's tools cannot read even the ciphertext, the sizes or the times.
//! sled creates its files with the process's umask (usually 0644); they sit
//! inside a 0700 folder from the first moment, and are tightened to 0600
//! whenever a profile is opened or closed.

use std::io;
use std::path::Path;

/// Create `dir` and any missing parents, each new one readable by its owner
/// only. Folders that already exist are left as they are.
///
/// # Errors
/// The file system's error.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Take from every folder under (and including) `dir` what 0700 does not
/// allow, and from every file what 0600 does not; symbolic links are not
/// followed. Returns how many
/// entries were changed.
///
/// # Errors
/// The file system's error for the first entry that could not be changed.
#[cfg(unix)]
pub fn tighten(dir: &Path) -> io::Result<usize> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::symlink_metadata(dir)?;
    let mut changed = 0;
    let wanted = if meta.is_dir() {
        0o700
    } else if meta.is_file() {
        0o600
    } else {
        // Sockets (the hand-over socket is made 0600 itself), links, devices.
        return Ok(0);
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & !wanted != 0 {
        // Group and others lose everything; the owner keeps what it had.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & wanted))?;
        changed += 1;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            changed += tighten(&entry?.path())?;
        }
    }
    Ok(changed)
}

/// Nothing to tighten where there are no Unix modes.
///
/// # Errors
/// Never.
#[cfg(not(unix))]
pub fn tighten(_dir: &Path) -> io::Result<usize> {
    Ok(0)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn new_folders_are_private_and_old_ones_are_tightened_without_losing_the_owner_bits() {
        let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let profile = root.path().join("data/profiles/default");
        create_private_dir_all(&profile).unwrap();
        for p in [root.path().join("data"), root.path().join("data/profiles"), profile.clone()] {
            assert_eq!(mode(&p), 0o700, "{}", p.display());
        }
        let blobs = profile.join("blobs");
        std::fs::create_dir(&blobs).unwrap();
        std::fs::set_permissions(&blobs, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(profile.join("db"), b"x").unwrap();
        std::fs::set_permissions(profile.join("db"), std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(blobs.join("1"), b"x").unwrap();
        std::fs::set_permissions(blobs.join("1"), std::fs::Permissions::from_mode(0o666)).unwrap();
        // Already private: left alone (and read-only stays read-only).
        std::fs::write(profile.join("conf"), b"x").unwrap();
        std::fs::set_permissions(profile.join("conf"), std::fs::Permissions::from_mode(0o400)).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", profile.join("link")).unwrap();
        let link_target = mode(Path::new("/etc/hostname"));

        assert_eq!(tighten(&profile).unwrap(), 3);
        assert_eq!(mode(&blobs), 0o700);
        assert_eq!(mode(&profile.join("db")), 0o600);
        assert_eq!(mode(&blobs.join("1")), 0o600);
        assert_eq!(mode(&profile.join("conf")), 0o400);
        assert_eq!(mode(Path::new("/etc/hostname")), link_target, "a link's target is not touched");
        assert_eq!(tighten(&profile).unwrap(), 0, "a second pass changes nothing");
    }
}
