//! The keyring: loading keys, sealing, opening and blind indexes.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::{ParseProblem, SealingError};
use crate::data_dir::{self, SecretReadError, SecretText};

/// The environment variable that, when set, holds the keys instead of the file.
pub const ENV_VAR: &str = "ONEWINDOW_RECORD_KEYS";
/// The name of the key file inside the data directory.
pub const FILE_NAME: &str = "record-keys";

const VERSION_PREFIX: &str = "v1.";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Prefixed to the caller's aad, so these ciphertexts cannot be confused with
/// any other use of the same key.
const AEAD_DOMAIN: &[u8] = b"onewindow.records.v1\0";

/// Where a [`Keyring`]'s keys came from, so the caller can log it (this module
/// logs nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The `ONEWINDOW_RECORD_KEYS` environment variable.
    Env,
    /// An existing key file.
    File(PathBuf),
    /// A key file this load just created: the caller should tell the operator
    /// to back it up.
    Generated(PathBuf),
    /// Text given to [`Keyring::from_text`].
    Text,
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOrigin::Env => write!(f, "environment variable {ENV_VAR}"),
            KeyOrigin::File(path) => write!(f, "record key file {}", path.display()),
            KeyOrigin::Generated(path) => write!(f, "new record key file {}", path.display()),
            KeyOrigin::Text => f.write_str("record key text"),
        }
    }
}

/// Sealing keys (by id) and the blind-index key. Cheap to share behind an `Arc`;
/// every method takes `&self` and is safe to call from many threads at once.
///
/// `Debug` shows the key ids only, never key material. Cipher keys are zeroed
/// when the keyring is dropped (the HMAC state is not).
#[derive(Clone)]
pub struct Keyring {
    seal: BTreeMap<u32, XChaCha20Poly1305>,
    current: u32,
    index: Hmac<Sha256>,
    origin: KeyOrigin,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("seal_key_ids", &self.seal.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .field("index_key", &"<redacted>")
            .field("origin", &self.origin)
            .finish()
    }
}

impl Keyring {
    /// Loads the keys: from `ONEWINDOW_RECORD_KEYS` if set (even if set to
    /// something invalid: that is an error, never a silent fallback), else from
    /// `<data_dir>/record-keys`, else writes a fresh key file there (sealing key 1
    /// and an index key, mode 0600 on unix, via a temporary file so it is never
    /// seen half-written, and without overwriting a file another process created
    /// meanwhile) and returns its keys. [`Keyring::origin`] tells which happened.
    ///
    /// Errors name the entry and the problem; an unreadable file is an error, not
    /// a reason to generate a new one. Costs one small file read (and, the first
    /// time, a write and fsync).
    pub fn load(data_dir: &Path) -> Result<Keyring, SealingError> {
        Self::from_secret(data_dir, data_dir::read_secret(data_dir, FILE_NAME, ENV_VAR))
    }

    /// [`Keyring::load`] with the environment variable's value passed in.
    #[cfg(test)]
    pub(super) fn load_with(data_dir: &Path, env: Option<&str>) -> Result<Keyring, SealingError> {
        Self::from_secret(data_dir, data_dir::read_secret_with(data_dir, FILE_NAME, env.map(str::to_owned)))
    }

    fn from_secret(data_dir: &Path, secret: Result<SecretText, SecretReadError>) -> Result<Keyring, SealingError> {
        match secret {
            Ok(SecretText::Env(text)) => parse(&text, KeyOrigin::Env),
            Ok(SecretText::File(path, text)) => parse(&text, KeyOrigin::File(path)),
            Ok(SecretText::Missing(path)) => generate_file(data_dir, path),
            Err(SecretReadError::EnvNotUnicode) => Err(SealingError::EnvNotUnicode),
            Err(SecretReadError::Read(path, source)) => Err(SealingError::Io { action: "read", path, source }),
        }
    }

    /// Parses keys in the key-file format (entries separated by newlines or `;`).
    /// Meant for tests and tools; the host uses [`Keyring::load`].
    pub fn from_text(text: &str) -> Result<Keyring, SealingError> {
        parse(text, KeyOrigin::Text)
    }

    /// The text of a fresh key file: a header comment, `seal 1 <random key>` and
    /// `index <random key>`. Keys come from the thread-local CSPRNG.
    pub fn generate_text() -> String {
        format!(
            "# Onewindow record keys. Losing this file makes sealed columns unreadable: back it up.\n\
             # Rotate by adding `seal <next id> <key>` (the highest id seals).\n\
             # Never change the index line.\n\
             {}\nindex {}\n",
            Self::generate_key_line(1),
            random_key_base64()
        )
    }

    /// A new sealing key entry `seal <id> <base64 of 32 random bytes>`, ready to
    /// append to the key file for rotation. The returned string is secret.
    pub fn generate_key_line(id: u32) -> String {
        format!("seal {id} {}", random_key_base64())
    }

    /// Seals `plaintext` for the place named by `aad` (e.g.
    /// `resident_profile.id_number`) with the current (highest-id) key, returning
    /// `v1.<key id>.<base64url-nopad(nonce || ciphertext || tag)>`.
    ///
    /// Each call uses a fresh random nonce, so sealing the same value twice gives
    /// different text (use [`Keyring::blind_index`] to search). Output is
    /// ⌈4 · (len + 40) / 3⌉ characters plus the `v1.<id>.` header; costs one AEAD pass.
    pub fn seal(&self, aad: &str, plaintext: &str) -> String {
        let cipher = &self.seal[&self.current];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: &associated(aad) })
            .expect("XChaCha20-Poly1305 fails only for messages over 256 GiB");
        let mut payload = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&ciphertext);
        format!("{VERSION_PREFIX}{}.{}", self.current, URL_SAFE_NO_PAD.encode(payload))
    }

    /// Opens a value made by [`Keyring::seal`] with the same `aad`, under any key
    /// id in the keyring.
    ///
    /// Fails with [`SealingError::Malformed`] if `sealed` is not a sealed value,
    /// [`SealingError::UnknownKeyId`] if its key is not here, and
    /// [`SealingError::Unauthentic`] if it was altered or `aad` differs. Costs one
    /// AEAD pass.
    pub fn open(&self, aad: &str, sealed: &str) -> Result<String, SealingError> {
        let (id, payload) = parse_envelope(sealed)?;
        let cipher = self.seal.get(&id).ok_or(SealingError::UnknownKeyId(id))?;
        let (nonce, ciphertext) = payload.split_at(NONCE_LEN);
        let plaintext = cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &associated(aad) })
            .map_err(|_| SealingError::Unauthentic)?;
        // Authentic bytes are always UTF-8, since seal takes a &str.
        String::from_utf8(plaintext).map_err(|_| SealingError::Malformed("sealed bytes are not UTF-8"))
    }

    /// True if `sealed` is a well-formed sealed value whose key id is not the
    /// current sealing key, i.e. the re-seal job should open and seal it again.
    /// False for values under the current key and for malformed values (which
    /// [`Keyring::open`] reports). Does not decrypt: cheap.
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        parse_envelope(sealed).is_ok_and(|(id, _)| id != self.current)
    }

    /// The blind index of `value` for the place named by `aad`: lowercase hex of
    /// HMAC-SHA256(index key, `aad` ‖ 0x00 ‖ normalised value), 64 characters.
    /// Normalised: surrounding whitespace trimmed, ASCII letters upper-cased
    /// (other letters are left as they are).
    ///
    /// Deterministic, the same across sealing-key rotations, and different for
    /// different `aad`s. `aad` should not contain a NUL. Costs one HMAC.
    pub fn blind_index(&self, aad: &str, value: &str) -> String {
        let mut mac = self.index.clone();
        mac.update(aad.as_bytes());
        mac.update(&[0]);
        mac.update(value.trim().to_ascii_uppercase().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The id of the key new values are sealed with (the highest id).
    pub fn current_key_id(&self) -> u32 {
        self.current
    }

    /// All sealing key ids, ascending.
    pub fn key_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.seal.keys().copied()
    }

    /// Where the keys came from.
    pub fn origin(&self) -> &KeyOrigin {
        &self.origin
    }
}

fn associated(aad: &str) -> Vec<u8> {
    [AEAD_DOMAIN, aad.as_bytes()].concat()
}

fn random_key_base64() -> String {
    let mut key = [0u8; KEY_LEN];
    rand::rng().fill_bytes(&mut key);
    STANDARD.encode(key)
}

/// Splits `v1.<id>.<payload>` into the key id and the decoded payload, which is
/// at least nonce + tag long. Never echoes the input.
fn parse_envelope(sealed: &str) -> Result<(u32, Vec<u8>), SealingError> {
    let rest = sealed.strip_prefix(VERSION_PREFIX).ok_or(SealingError::Malformed("missing `v1.` prefix"))?;
    let (id, payload) = rest.split_once('.').ok_or(SealingError::Malformed("missing key id"))?;
    let id = parse_id(id).ok_or(SealingError::Malformed("bad key id"))?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| SealingError::Malformed("payload is not base64url"))?;
    if payload.len() < NONCE_LEN + TAG_LEN {
        return Err(SealingError::Malformed("payload too short"));
    }
    Ok((id, payload))
}

/// A key id: 1 to u32::MAX, plain digits only (no sign, no spaces).
fn parse_id(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|&id| id != 0)
}

fn parse(text: &str, origin: KeyOrigin) -> Result<Keyring, SealingError> {
    // Comments end at a newline, never at `;`, so a comment may contain `;`.
    let lines = text.lines().map(|line| line.split('#').next().unwrap_or_default());
    let entries: Vec<&str> = match origin {
        KeyOrigin::Env | KeyOrigin::Text => lines.flat_map(|line| line.split(';')).collect(),
        _ => lines.collect(),
    };
    let mut seal = BTreeMap::new();
    let mut index = None;
    let mut seen: Vec<[u8; KEY_LEN]> = Vec::new();
    for (number, entry) in entries.iter().enumerate() {
        let err = |problem| SealingError::Parse { origin: origin.to_string(), line: number + 1, problem };
        let fields: Vec<&str> = entry.split_whitespace().collect();
        let (id, key) = match fields[..] {
            [] => continue,
            ["seal", id, key] => (Some(parse_id(id).ok_or_else(|| err(ParseProblem::BadId))?), key),
            ["seal", ..] => return Err(err(ParseProblem::SealFields)),
            ["index", key] => (None, key),
            ["index", ..] => return Err(err(ParseProblem::IndexFields)),
            _ => return Err(err(ParseProblem::UnknownDirective)),
        };
        let bytes = STANDARD.decode(key).map_err(|_| err(ParseProblem::BadBase64))?;
        let key: [u8; KEY_LEN] =
            bytes.as_slice().try_into().map_err(|_| err(ParseProblem::WrongLength(bytes.len())))?;
        match id {
            Some(id) if seal.contains_key(&id) => return Err(err(ParseProblem::DuplicateId(id))),
            None if index.is_some() => return Err(err(ParseProblem::DuplicateIndex)),
            _ if seen.contains(&key) => return Err(err(ParseProblem::ReusedKey)),
            Some(id) => {
                seal.insert(id, XChaCha20Poly1305::new(&key.into()));
            }
            None => {
                index = Some(<Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length"));
            }
        }
        seen.push(key);
    }
    let index = index.ok_or_else(|| SealingError::NoIndexKey { origin: origin.to_string() })?;
    let current = *seal.keys().next_back().ok_or_else(|| SealingError::NoSealKey { origin: origin.to_string() })?;
    Ok(Keyring { seal, current, index, origin })
}

/// Writes a fresh key file at `path` (inside `data_dir`) and returns its keys. If
/// another process created the file first, loads that one instead.
pub(super) fn generate_file(data_dir: &Path, path: PathBuf) -> Result<Keyring, SealingError> {
    let text = Keyring::generate_text();
    let keyring = parse(&text, KeyOrigin::Generated(path.clone()))?;
    match crate::data_dir::install_secret(data_dir, FILE_NAME, &text).map_err(io_err("install", &path))? {
        crate::data_dir::Installed::Written => Ok(keyring),
        // Another host wrote its keys first: use those.
        crate::data_dir::Installed::Existing(text) => parse(&text, KeyOrigin::File(path)),
    }
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SealingError {
    let path = path.to_path_buf();
    move |source| SealingError::Io { action, path, source }
}
