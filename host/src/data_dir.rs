//! The directories the host keeps files in, opened once with `cap-std`: every
//! later file access is relative to an opened directory handle, so no name
//! derived from a plugin or a request can reach outside it (`..`, absolute
//! paths and symlinks out are refused by the handle itself).

use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// Creates (if needed) and opens `path` as a capability directory.
pub fn open(path: &Path) -> std::io::Result<Dir> {
    std::fs::create_dir_all(path)?;
    Dir::open_ambient_dir(path, ambient_authority())
}

/// Where a host secret (the audit key, the record keys) was found.
#[derive(Debug, PartialEq, Eq)]
pub enum SecretText {
    /// The environment variable's value, which wins over any file.
    Env(String),
    /// The key file in the data directory.
    File(PathBuf, String),
    /// Neither: the file at this path is to be generated.
    Missing(PathBuf),
}

/// Why a secret could not be read.
#[derive(Debug)]
pub enum SecretReadError {
    /// The environment variable is set but not valid Unicode.
    EnvNotUnicode,
    /// The key file exists but could not be read (never a reason to
    /// generate a new one).
    Read(PathBuf, std::io::Error),
}

/// The secret named by environment variable `env_var` if set (an invalid
/// value is an error, never a reason to fall back), else the file
/// `file_name` in `dir`, else where that file is to be generated.
pub fn read_secret(dir: &Path, file_name: &str, env_var: &str) -> Result<SecretText, SecretReadError> {
    let env = match std::env::var(env_var) {
        Ok(text) => Some(text),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => return Err(SecretReadError::EnvNotUnicode),
    };
    read_secret_with(dir, file_name, env)
}

/// [`read_secret`] with the environment variable's value passed in (tests).
pub fn read_secret_with(dir: &Path, file_name: &str, env: Option<String>) -> Result<SecretText, SecretReadError> {
    if let Some(text) = env {
        return Ok(SecretText::Env(text));
    }
    let path = dir.join(file_name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(SecretText::File(path, text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SecretText::Missing(path)),
        Err(source) => Err(SecretReadError::Read(path, source)),
    }
}

/// What [`install_secret`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Installed {
    /// This call wrote the file.
    Written,
    /// Another process wrote it first; this is its text.
    Existing(String),
}

/// Writes a key file `name` holding `text` into `dir`, readable by the owner
/// only: through a temporary file, so it is never seen half-written, and
/// without replacing a file another process (another host) created
/// meanwhile — replacing it would orphan whatever its keys already protect.
pub fn install_secret(dir: &Path, name: &str, text: &str) -> std::io::Result<Installed> {
    use std::fs;
    use std::io::Write;
    fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let temp = dir.join(format!(".{name}.{}.{:016x}.tmp", std::process::id(), rand::random::<u64>()));
    let written = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    })();
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    // A hard link installs the file atomically and, unlike rename, never
    // replaces one that exists.
    let installed = match fs::hard_link(&temp, &path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        // File systems without hard links: fall back to rename.
        Err(_) => fs::rename(&temp, &path).map(|()| true),
    };
    let _ = fs::remove_file(&temp);
    if !installed? {
        return fs::read_to_string(&path).map(Installed::Existing);
    }
    // Best effort: make the new directory entry durable.
    #[cfg(unix)]
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(Installed::Written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_written_private_once_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(install_secret(dir.path(), "key", "first\n").unwrap(), Installed::Written);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = install_secret(dir.path(), "key", "second\n").unwrap();
        assert_eq!(second, Installed::Existing("first\n".into()));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["key"], "no temporary file is left");
    }
}
