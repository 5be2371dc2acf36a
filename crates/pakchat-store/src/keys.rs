//! The key hierarchy: one random data key (DEK) per profile, wrapped by a key
//! encryption key (KEK) that comes from the OS keychain, a passphrase
//! (Argon2id) or a key file. The wrapped DEK and the KEK's parameters live in
//! the plain store header; the KEK itself is never stored in the profile.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::StoreError;
use super::crypto::{KeyBytes, Sealer, from_hex, random_bytes, random_key, to_hex};
use pakchat_core::DeviceId;

/// The store layout version this build writes (2: the search index; 3:
/// drafts as records of their own, per device; 4: the search index in
/// sealed blocks; 5: messages found by id).
pub const FORMAT_VERSION: u32 = 5;

/// The plain header of a profile: enough to find and unwrap the data key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Layout version; see [`FORMAT_VERSION`] and the migration hook.
    pub format_version: u32,
    /// Random id of this store; salts key derivation and names the keychain entry.
    pub store_id: uuid::Uuid,
    /// The device that created this store.
    pub device_id: DeviceId,
    /// Creation time, Unix milliseconds.
    pub created_ms: u64,
    /// How the data key is protected.
    pub protection: Protection,
    /// The data key sealed with the KEK, hex.
    pub wrapped_dek: String,
}

/// How a profile's data key is protected (stored in the header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Protection {
    /// A random KEK kept in the operating system's keychain.
    Keychain,
    /// A KEK derived from a passphrase with Argon2id.
    Passphrase {
        /// Random salt, hex.
        salt: String,
        /// Memory cost in KiB.
        m_cost_kib: u32,
        /// Iterations.
        t_cost: u32,
        /// Lanes.
        p_cost: u32,
    },
    /// A random KEK in a file readable only by its owner.
    KeyFile {
        /// Where the key file was when the profile was created.
        path: PathBuf,
    },
    /// A random KEK that was never kept: the profile cannot be opened again.
    Throwaway,
}

/// The kind of protection without its parameters, for display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProtectionKind {
    /// OS keychain.
    Keychain,
    /// Passphrase through Argon2id.
    Passphrase,
    /// Key file on disk.
    KeyFile,
    /// A key thrown away with the session.
    Throwaway,
}

impl ProtectionKind {
    /// One sentence a user can understand.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Keychain => "Encrypted with a key kept in your system keychain.",
            Self::Passphrase => "Encrypted with a key derived from your passphrase (Argon2id).",
            Self::KeyFile => "Encrypted with a key file. Weaker: anyone who can read that file can read your chats.",
            Self::Throwaway => "A guest session: kept in memory under a throwaway key and wiped when it ends.",
        }
    }
}

impl Protection {
    /// The kind, without parameters.
    #[must_use]
    pub fn kind(&self) -> ProtectionKind {
        match self {
            Self::Keychain => ProtectionKind::Keychain,
            Self::Passphrase { .. } => ProtectionKind::Passphrase,
            Self::KeyFile { .. } => ProtectionKind::KeyFile,
            Self::Throwaway => ProtectionKind::Throwaway,
        }
    }

    /// Where the key comes from without asking anyone: the keychain (when
    /// `keychain` may be used) or the key file (`key_file` when given, else
    /// where it was at creation). `None`: someone must type a passphrase, or
    /// the key is gone (a throwaway profile).
    #[must_use]
    pub fn unattended_source(self, keychain: bool, key_file: Option<std::path::PathBuf>) -> Option<KeySource> {
        match self {
            Self::Keychain if keychain => Some(KeySource::Keychain),
            Self::KeyFile { path } => Some(KeySource::KeyFile(key_file.unwrap_or(path))),
            Self::Keychain | Self::Passphrase { .. } | Self::Throwaway => None,
        }
    }
}

/// Where the KEK comes from when creating or unlocking a profile.
pub enum KeySource {
    /// The OS keychain (native only).
    Keychain,
    /// A passphrase typed by the user.
    Passphrase(Zeroizing<String>),
    /// A key file; created (mode 0600) if it does not exist at creation.
    KeyFile(PathBuf),
    /// A random key that is never kept anywhere: once the store is closed,
    /// nothing can open it (kiosk guest sessions, held in memory).
    Throwaway,
    /// A passphrase already stretched elsewhere ([`stretch_passphrase`] in a
    /// browser's Web Worker, so the page does not stop while Argon2id runs).
    Stretched(Stretched),
}

/// The result of [`stretch_passphrase`] with what it was stretched with: a
/// profile protected by a passphrase opens with it when its salt and
/// parameters are these.
pub struct Stretched {
    /// The salt (16 random bytes for a new profile, the header's otherwise).
    pub salt: Vec<u8>,
    /// The Argon2id parameters.
    pub params: Argon2Params,
    /// The key-encryption key Argon2id made.
    pub kek: KeyBytes,
}

/// A fresh random salt for [`stretch_passphrase`] when creating a profile.
///
/// # Errors
/// When the system has no randomness.
pub fn new_salt() -> Result<Vec<u8>, StoreError> {
    Ok(random_bytes::<16>().map_err(StoreError::Random)?.to_vec())
}

/// The salt and Argon2id parameters of a profile protected by a passphrase
/// (what [`stretch_passphrase`] needs to unlock it); `None` for any other
/// protection.
#[must_use]
pub fn passphrase_salt(header: &Header) -> Option<(Vec<u8>, Argon2Params)> {
    match &header.protection {
        Protection::Passphrase { salt, m_cost_kib, t_cost, p_cost } => {
            Some((from_hex(salt)?, Argon2Params { m_cost_kib: *m_cost_kib, t_cost: *t_cost, p_cost: *p_cost }))
        }
        _ => None,
    }
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Keychain => f.write_str("Keychain"),
            Self::Passphrase(_) => f.write_str("Passphrase(<hidden>)"),
            Self::KeyFile(p) => f.debug_tuple("KeyFile").field(p).finish(),
            Self::Throwaway => f.write_str("Throwaway"),
            Self::Stretched(_) => f.write_str("Stretched(<hidden>)"),
        }
    }
}

/// Argon2id cost parameters for new passphrase-protected profiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory cost in KiB.
    pub m_cost_kib: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for Argon2Params {
    /// 64 MiB, 3 passes, 1 lane: above OWASP's minimum, ~0.3 s here.
    fn default() -> Self {
        Self { m_cost_kib: 64 * 1024, t_cost: 3, p_cost: 1 }
    }
}

fn dek_aad(store_id: &uuid::Uuid) -> Vec<u8> {
    let mut aad = b"pakchat/dek/v1\0".to_vec();
    aad.extend_from_slice(store_id.as_bytes());
    aad
}

/// Derive the KEK from a passphrase with Argon2id: the slow step of
/// creating or unlocking a profile, which a browser runs in a Web Worker.
///
/// # Errors
/// [`StoreError::CorruptHeader`] for parameters Argon2 refuses.
pub fn stretch_passphrase(passphrase: &str, salt: &[u8], p: Argon2Params) -> Result<KeyBytes, StoreError> {
    let params = argon2::Params::new(p.m_cost_kib, p.t_cost, p.p_cost, Some(32))
        .map_err(|e| StoreError::CorruptHeader(format!("bad Argon2 parameters: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| StoreError::CorruptHeader(format!("Argon2 failed: {e}")))?;
    Ok(out)
}

/// Read a key file: 64 hex digits. Refuses files others can read.
///
/// # Errors
/// [`StoreError::KeyFile`] naming the path and the problem.
pub fn read_key_file(path: &Path) -> Result<KeyBytes, StoreError> {
    let err = |what: String| StoreError::KeyFile(format!("{}: {what}", path.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(err(format!(
                "other users can read this key file (mode {mode:o}); run `chmod 600 {}`",
                path.display()
            )));
        }
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?);
    let bytes = Zeroizing::new(from_hex(&text).ok_or_else(|| err("not a Pak.Chat key file".to_owned()))?);
    let key: [u8; 32] =
        bytes.as_slice().try_into().map_err(|_| err("not a Pak.Chat key file (wrong length)".to_owned()))?;
    Ok(Zeroizing::new(key))
}

/// Create a key file with a fresh random key, readable by its owner only.
/// An existing file is used as it is.
///
/// # Errors
/// [`StoreError::KeyFile`] naming the path and the problem.
pub fn create_or_read_key_file(path: &Path) -> Result<KeyBytes, StoreError> {
    if path.exists() {
        return read_key_file(path);
    }
    let err = |what: String| StoreError::KeyFile(format!("{}: {what}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        super::private_dir::create_private_dir_all(parent).map_err(|e| err(e.to_string()))?;
    }
    let key = random_key().map_err(StoreError::Random)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| err(e.to_string()))?;
    let text = Zeroizing::new(format!("{}\n", to_hex(key.as_ref())));
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| err(e.to_string()))?;
    file.sync_all().map_err(|e| err(e.to_string()))?;
    Ok(key)
}

/// Make a new header protecting a fresh data key. Returns the header and the
/// data key. Nothing is written to the store here.
///
/// # Errors
/// Key source failures (keychain, key file) and randomness failure.
pub fn new_header(source: &KeySource, params: Argon2Params, now_ms: u64) -> Result<(Header, KeyBytes), StoreError> {
    let store_id = uuid::Uuid::from_bytes(random_bytes::<16>().map_err(StoreError::Random)?);
    let (protection, kek) = match source {
        KeySource::Keychain => {
            let kek = random_key().map_err(StoreError::Random)?;
            super::keychain::store_kek(&store_id, &kek)?;
            (Protection::Keychain, kek)
        }
        KeySource::Passphrase(pass) => {
            if pass.is_empty() {
                return Err(StoreError::WrongKey);
            }
            let salt = random_bytes::<16>().map_err(StoreError::Random)?;
            let kek = stretch_passphrase(pass, &salt, params)?;
            let protection = Protection::Passphrase {
                salt: to_hex(&salt),
                m_cost_kib: params.m_cost_kib,
                t_cost: params.t_cost,
                p_cost: params.p_cost,
            };
            (protection, kek)
        }
        KeySource::KeyFile(path) => {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let kek = create_or_read_key_file(&path)?;
            (Protection::KeyFile { path }, kek)
        }
        KeySource::Throwaway => (Protection::Throwaway, random_key().map_err(StoreError::Random)?),
        KeySource::Stretched(stretched) => {
            let protection = Protection::Passphrase {
                salt: to_hex(&stretched.salt),
                m_cost_kib: stretched.params.m_cost_kib,
                t_cost: stretched.params.t_cost,
                p_cost: stretched.params.p_cost,
            };
            (protection, Zeroizing::new(*stretched.kek))
        }
    };
    let dek = random_key().map_err(StoreError::Random)?;
    let wrapped = Sealer::new(&kek).seal(&dek_aad(&store_id), dek.as_ref()).map_err(StoreError::Random)?;
    let header = Header {
        format_version: FORMAT_VERSION,
        store_id,
        device_id: DeviceId::new(),
        created_ms: now_ms,
        protection,
        wrapped_dek: to_hex(&wrapped),
    };
    Ok((header, dek))
}

/// Unwrap the data key of `header` with the KEK from `source`.
///
/// # Errors
/// [`StoreError::WrongKey`] when the KEK does not open the data key; source
/// failures otherwise. Never writes anything.
pub fn unwrap_dek(header: &Header, source: &KeySource) -> Result<KeyBytes, StoreError> {
    let kek = match (&header.protection, source) {
        (Protection::Keychain, KeySource::Keychain) => super::keychain::load_kek(&header.store_id)?,
        (Protection::Passphrase { salt, m_cost_kib, t_cost, p_cost }, KeySource::Passphrase(pass)) => {
            let salt = from_hex(salt).ok_or_else(|| StoreError::CorruptHeader("bad salt".to_owned()))?;
            let params = Argon2Params { m_cost_kib: *m_cost_kib, t_cost: *t_cost, p_cost: *p_cost };
            stretch_passphrase(pass, &salt, params)?
        }
        (Protection::KeyFile { .. }, KeySource::KeyFile(path)) => read_key_file(path)?,
        (Protection::Passphrase { .. }, KeySource::Stretched(stretched)) => {
            // Stretched for another profile (or another salt): it cannot fit.
            match passphrase_salt(header) {
                Some((salt, params)) if salt == stretched.salt && params == stretched.params => {
                    Zeroizing::new(*stretched.kek)
                }
                _ => return Err(StoreError::WrongKey),
            }
        }
        (protection, _) => return Err(StoreError::WrongProtection(protection.kind())),
    };
    let wrapped =
        from_hex(&header.wrapped_dek).ok_or_else(|| StoreError::CorruptHeader("bad wrapped key".to_owned()))?;
    let dek = Sealer::new(&kek).open(&dek_aad(&header.store_id), &wrapped).map_err(|_| StoreError::WrongKey)?;
    let key: [u8; 32] = dek
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::CorruptHeader("wrapped key has the wrong length".to_owned()))?;
    Ok(Zeroizing::new(key))
}
