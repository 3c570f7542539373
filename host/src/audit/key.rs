//! The audit key: the secret the chain's hashes are keyed with. It lives
//! outside the database (a file in the data directory, or an environment
//! variable), so someone who can write the database but not read the key
//! cannot recompute the chain after changing an entry.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::data_dir::{self, SecretReadError, SecretText};

/// The environment variable that, when set, holds the key instead of the file.
pub const ENV_VAR: &str = "ONEWINDOW_AUDIT_KEY";
/// The name of the key file inside the data directory.
pub const FILE_NAME: &str = "audit-key";
/// Shorter keys are refused: HMAC-SHA256 wants at least its output size.
const MIN_KEY_LEN: usize = 32;

/// Where the key came from, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The `ONEWINDOW_AUDIT_KEY` environment variable.
    Env,
    /// An existing key file.
    File(PathBuf),
    /// A key file this load just created: tell the operator to back it up.
    Generated(PathBuf),
    /// Bytes given to [`AuditKey::from_bytes`] (tests and tools).
    Bytes,
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOrigin::Env => write!(f, "environment variable {ENV_VAR}"),
            KeyOrigin::File(path) => write!(f, "audit key file {}", path.display()),
            KeyOrigin::Generated(path) => write!(f, "new audit key file {}", path.display()),
            KeyOrigin::Bytes => f.write_str("audit key bytes"),
        }
    }
}

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{origin}: {problem}")]
    Invalid { origin: KeyOrigin, problem: &'static str },
    #[error("environment variable {ENV_VAR} is not valid Unicode")]
    EnvNotUnicode,
    #[error("cannot {action} {}: {source}", .path.display())]
    Io { action: &'static str, path: PathBuf, source: io::Error },
}

/// The HMAC-SHA256 key of the audit chain. `Debug` never shows the key.
#[derive(Clone)]
pub struct AuditKey {
    mac: Hmac<Sha256>,
    origin: KeyOrigin,
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey").field("key", &"<redacted>").field("origin", &self.origin).finish()
    }
}

impl AuditKey {
    /// Loads the key: from `ONEWINDOW_AUDIT_KEY` if set (an invalid value is
    /// an error, never a reason to fall back), else from `<data_dir>/audit-key`,
    /// else writes a fresh key file there (mode 0600 on unix, installed
    /// atomically and never over a file another process created meanwhile).
    /// Both hold the base64 of at least 32 bytes; `#` lines in the file are comments.
    pub fn load(data_dir: &Path) -> Result<AuditKey, KeyError> {
        Self::from_secret(data_dir, data_dir::read_secret(data_dir, FILE_NAME, ENV_VAR))
    }

    /// [`AuditKey::load`] with the environment variable's value passed in.
    #[cfg(test)]
    pub(crate) fn load_with(data_dir: &Path, env: Option<&str>) -> Result<AuditKey, KeyError> {
        Self::from_secret(data_dir, data_dir::read_secret_with(data_dir, FILE_NAME, env.map(str::to_owned)))
    }

    fn from_secret(data_dir: &Path, secret: Result<SecretText, SecretReadError>) -> Result<AuditKey, KeyError> {
        match secret {
            Ok(SecretText::Env(text)) => parse(&text, KeyOrigin::Env),
            Ok(SecretText::File(path, text)) => parse(&text, KeyOrigin::File(path)),
            Ok(SecretText::Missing(path)) => generate_file(data_dir, path),
            Err(SecretReadError::EnvNotUnicode) => Err(KeyError::EnvNotUnicode),
            Err(SecretReadError::Read(path, source)) => Err(KeyError::Io { action: "read", path, source }),
        }
    }

    /// A key from raw bytes (at least 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<AuditKey, KeyError> {
        if bytes.len() < MIN_KEY_LEN {
            return Err(KeyError::Invalid { origin: KeyOrigin::Bytes, problem: "the key is shorter than 32 bytes" });
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(bytes).expect("HMAC takes any key length");
        Ok(AuditKey { mac, origin: KeyOrigin::Bytes })
    }

    /// The base64 of 32 fresh random bytes: a value for `ONEWINDOW_AUDIT_KEY`.
    pub fn generate_base64() -> String {
        let mut key = [0u8; MIN_KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// A fresh HMAC state keyed with this key.
    pub(super) fn mac(&self) -> Hmac<Sha256> {
        self.mac.clone()
    }

    /// Where the key came from.
    pub fn origin(&self) -> &KeyOrigin {
        &self.origin
    }
}

fn parse(text: &str, origin: KeyOrigin) -> Result<AuditKey, KeyError> {
    let invalid = |problem| KeyError::Invalid { origin: origin.clone(), problem };
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#'));
    let encoded = lines.next().ok_or_else(|| invalid("no key (expected the base64 of 32 random bytes)"))?;
    if lines.next().is_some() {
        return Err(invalid("more than one key line"));
    }
    let bytes = STANDARD.decode(encoded).map_err(|_| invalid("the key is not base64"))?;
    if bytes.len() < MIN_KEY_LEN {
        return Err(invalid("the key is shorter than 32 bytes"));
    }
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(&bytes).expect("HMAC takes any key length");
    Ok(AuditKey { mac, origin })
}

/// Writes a fresh key file at `path` and returns its key; if another process
/// created the file first, loads that one instead.
fn generate_file(data_dir: &Path, path: PathBuf) -> Result<AuditKey, KeyError> {
    let text = format!(
        "# Onewindow audit key: the audit trail's hashes are keyed with it. Back it up apart from the\n\
         # database; without it the trail cannot be verified. Never change it.\n{}\n",
        AuditKey::generate_base64()
    );
    let key = parse(&text, KeyOrigin::Generated(path.clone()))?;
    let installed = crate::data_dir::install_secret(data_dir, FILE_NAME, &text).map_err(|source| KeyError::Io {
        action: "install",
        path: path.clone(),
        source,
    })?;
    match installed {
        crate::data_dir::Installed::Written => Ok(key),
        // Another host wrote its key first: use that one.
        crate::data_dir::Installed::Existing(text) => parse(&text, KeyOrigin::File(path)),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn a_missing_file_is_created_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = AuditKey::load_with(dir.path(), None).unwrap();
        let path = dir.path().join(FILE_NAME);
        assert_eq!(first.origin(), &KeyOrigin::Generated(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let again = AuditKey::load_with(dir.path(), None).unwrap();
        assert_eq!(again.origin(), &KeyOrigin::File(path));
        let tag = |key: &AuditKey| key.mac().chain_update(b"x").finalize().into_bytes();
        assert_eq!(tag(&first), tag(&again), "the same key");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
    }

    #[test]
    fn the_environment_wins_and_bad_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = AuditKey::load_with(dir.path(), Some(&AuditKey::generate_base64())).unwrap();
        assert_eq!(key.origin(), &KeyOrigin::Env);
        assert!(!dir.path().join(FILE_NAME).exists(), "no file is written when the environment holds the key");
        for (bad, problem) in [
            ("", "no key"),
            ("not base64!", "not base64"),
            (&STANDARD.encode([7u8; 16]), "shorter than 32 bytes"),
            (&format!("{0}\n{0}", AuditKey::generate_base64()), "more than one"),
        ] {
            let error = AuditKey::load_with(dir.path(), Some(bad)).unwrap_err().to_string();
            assert!(error.contains(problem) && error.contains(ENV_VAR), "{bad:?}: {error}");
        }
        fs::write(dir.path().join(FILE_NAME), "# only a comment\n").unwrap();
        let error = AuditKey::load_with(dir.path(), None).unwrap_err().to_string();
        assert!(error.contains("audit key file") && error.contains("no key"), "{error}");
        assert!(format!("{key:?}").contains("redacted"));
    }
}
