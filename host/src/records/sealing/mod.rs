//! Sealing of sensitive columns of the shared resident records at rest (e.g. the
//! resident ID number `11010519491231002X`).
//!
//! # Scheme
//!
//! * **Sealing** (confidentiality + integrity): XChaCha20-Poly1305 with a fresh
//!   random 24-byte nonce per value (random nonces of that size never collide in
//!   practice, so no counter state is needed). A sealed value is the text
//!   `v1.<key id>.<base64url-nopad(nonce || ciphertext || tag)>`, 40 bytes of
//!   overhead before base64 (≈ 57 characters plus the header for an 18-byte ID
//!   number). The caller's `aad` (e.g. `resident_profile.id_number`) is
//!   authenticated with the value, so a sealed value copied into another column
//!   fails to open. It does not bind the row: a value moved to another row of the
//!   *same* column still opens; put the row key into `aad` if that matters.
//! * **Blind index** (exact-match search without decrypting): hex
//!   HMAC-SHA256(index key, `aad` ‖ 0x00 ‖ normalised value), where normalised
//!   means trimmed and ASCII upper-cased (an ID number's check letter `x`/`X`
//!   matches). Equal values give equal indexes, so it reveals which rows share a
//!   value; it is meant for high-entropy identifiers, not for e.g. gender.
//! * **Masking** for display: [`mask`].
//!
//! # Keys
//!
//! [`Keyring::load`] reads the environment variable `ONEWINDOW_RECORD_KEYS` if it
//! is set, otherwise the file `<data dir>/record-keys`; if neither exists it
//! writes a fresh file (mode 0600) with sealing key 1 and an index key. Format,
//! one entry per line (`;` also separates entries in the environment variable),
//! `#` starts a comment:
//!
//! ```text
//! seal 1 <base64 of 32 random bytes>
//! seal 2 <base64 of 32 random bytes>
//! index <base64 of 32 random bytes>
//! ```
//!
//! The highest `seal` id seals new values; every listed id opens. The `index` key
//! is separate and is never rotated: changing it changes every blind index, and
//! search over existing rows stops finding anything.
//!
//! **Losing the keys loses the data**: back up the key file (or the secret that
//! feeds the environment variable) together with the database, but not in the
//! same place.
//!
//! # Key rotation, step by step
//!
//! 1. Make a new key line with the next id, e.g. `onewindow records new-key 2`
//!    (see [`Keyring::generate_key_line`]), and **add** it to the key file or
//!    variable; keep the old `seal 1` line.
//! 2. Restart the host. New writes are now sealed with key 2; rows sealed with
//!    key 1 still open.
//! 3. Run the re-seal job: for every sealed cell with [`Keyring::needs_reseal`]
//!    true, [`Keyring::open`] and [`Keyring::seal`] it again with the same `aad`,
//!    and write it back. Blind indexes stay as they are (they do not depend on
//!    the sealing key).
//! 4. Only when `needs_reseal` is false for **every** sealed cell (and backups
//!    that still hold key-1 values have expired or been re-sealed), remove the
//!    `seal 1` line and restart.
//! 5. Never change the `index` line.

mod keyring;
mod mask;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use keyring::{ENV_VAR, FILE_NAME, KeyOrigin, Keyring};
pub use mask::mask;

/// Everything that can go wrong loading keys or opening a sealed value.
///
/// No message ever contains key material, a plaintext, or the text of a sealed
/// value (a caller could pass an unsealed plaintext by mistake).
#[derive(Debug, thiserror::Error)]
pub enum SealingError {
    /// One entry of the key file or variable is wrong.
    #[error("{origin}, line {line}: {problem}")]
    Parse {
        /// Where the keys came from, e.g. `record key file /data/record-keys`.
        origin: String,
        /// 1-based line number; where `;` separates entries (environment
        /// variable, [`Keyring::from_text`]) the entry number.
        line: usize,
        /// What is wrong with it.
        problem: ParseProblem,
    },
    /// The keys have no `index` line.
    #[error("{origin}: no `index <base64 key>` line; the blind-index key is required")]
    NoIndexKey {
        /// Where the keys came from.
        origin: String,
    },
    /// The keys have no `seal` line.
    #[error("{origin}: no `seal <id> <base64 key>` line; at least one sealing key is required")]
    NoSealKey {
        /// Where the keys came from.
        origin: String,
    },
    /// `ONEWINDOW_RECORD_KEYS` is set but is not valid Unicode.
    #[error("environment variable {ENV_VAR} is not valid UTF-8")]
    EnvNotUnicode,
    /// Reading or writing the key file failed.
    #[error("cannot {action} record key file {}: {source}", path.display())]
    Io {
        /// What was being done: `read`, `write`, `install`.
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The value is not a `v1.<id>.<payload>` sealed value.
    #[error("not a sealed value: {0}")]
    Malformed(&'static str),
    /// The value was sealed with a key id this keyring does not have (removed
    /// too early, or sealed by a host with newer keys).
    #[error("sealed with key id {0}, which is not in the keyring")]
    UnknownKeyId(u32),
    /// Authentication failed: the value was altered, or it was sealed for a
    /// different `aad` (another column). The AEAD cannot tell these apart.
    #[error("sealed value failed authentication: it was altered, or sealed for a different field")]
    Unauthentic,
}

/// What is wrong with one entry of the keys (see [`SealingError::Parse`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseProblem {
    /// The entry starts with neither `seal` nor `index`.
    #[error("expected `seal <id> <base64 key>` or `index <base64 key>`")]
    UnknownDirective,
    /// A `seal` entry without exactly an id and a key.
    #[error("`seal` takes a key id and a key: `seal <id> <base64 key>`")]
    SealFields,
    /// An `index` entry without exactly one key.
    #[error("`index` takes one key: `index <base64 key>`")]
    IndexFields,
    /// The key id is not a whole number from 1 to 4294967295.
    #[error("key id must be a whole number from 1 to 4294967295")]
    BadId,
    /// The key is not standard (padded) base64.
    #[error("key is not valid standard base64")]
    BadBase64,
    /// The key decodes to the wrong number of bytes.
    #[error("key decodes to {0} bytes, expected 32")]
    WrongLength(usize),
    /// The same `seal` id appears twice.
    #[error("key id {0} appears more than once")]
    DuplicateId(u32),
    /// A second `index` line.
    #[error("more than one `index` line; there must be exactly one")]
    DuplicateIndex,
    /// The key bytes equal those of an earlier entry.
    #[error("this key repeats an earlier key; every key must be distinct")]
    ReusedKey,
}
