//! Computing and checking the hash chain. Pure functions over entries fed in
//! sequence order, so a trail of any length is checked without holding it.
//!
//! # Two hashing rules, one switch
//!
//! Entries written before the platform had an audit key carry a plain
//! SHA-256 ([`plain_hash`]); every entry written since carries an
//! HMAC-SHA256 under the audit key ([`keyed_hash`]), over the same
//! length-prefixed fields. Which rule an entry was written with needs no
//! marker: with the key, the keyed hash either matches or it does not. A
//! valid trail is therefore some plain entries (possibly none) followed by
//! keyed ones, and it ends keyed. Someone who changes an entry without the
//! key can only recompute plain hashes, and a plain entry after a keyed one,
//! or a trail that no longer ends keyed, is refused.

use std::fmt::Write as _;

use hmac::Mac;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::key::AuditKey;
use super::{Entry, GENESIS, Head, KEYED_ACTION};

/// Feeds an entry's previous hash and fields, each length-prefixed so no
/// two different entries serialise alike.
fn feed(entry: &Entry, mut update: impl FnMut(&[u8])) {
    let details = entry.details.to_string();
    let seq = entry.seq.to_string();
    let fields: [&str; 9] = [
        &entry.prev_hash,
        &seq,
        &entry.at,
        &entry.actor,
        entry.actor_unit.as_deref().unwrap_or(""),
        &entry.action,
        &entry.target,
        &details,
        &entry.request_id,
    ];
    for field in fields {
        update(&(field.len() as u64).to_be_bytes());
        update(field.as_bytes());
    }
}

/// The hash entries had before the trail was keyed: plain SHA-256.
pub fn plain_hash(entry: &Entry) -> String {
    let mut hasher = Sha256::new();
    feed(entry, |bytes| hasher.update(bytes));
    hex::encode(hasher.finalize())
}

/// The hash every entry gets now: HMAC-SHA256 under the audit key.
pub fn keyed_hash(key: &AuditKey, entry: &Entry) -> String {
    let mut mac = key.mac();
    feed(entry, |bytes| mac.update(bytes));
    hex::encode(mac.finalize().into_bytes())
}

/// The outcome of checking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Verification {
    /// True when every entry checks out.
    pub ok: bool,
    /// How many entries were read.
    pub entries: usize,
    /// The first entry that does not check out.
    pub first_broken: Option<i64>,
    /// Why it does not.
    pub problem: Option<String>,
    /// When the trail checks out: its last entry, to record outside the
    /// platform (`SEQ:HASH`) and pass as `head` to a later check.
    pub head: Option<Head>,
}

/// Checks entries fed one at a time in sequence order: numbering without
/// gaps, each pointing at its predecessor's hash, each hash matching its
/// fields under the rules above, and (optionally) a head recorded earlier
/// outside the platform still being on the trail.
pub struct Verifier<'k> {
    key: &'k AuditKey,
    recorded: Option<Head>,
    entries: usize,
    last: Head,
    keyed: bool,
    broken: Option<(i64, String)>,
    /// Whether the entry at the recorded head's number had the recorded hash.
    recorded_matched: Option<bool>,
}

impl<'k> Verifier<'k> {
    /// A verifier for a whole trail, from its first entry.
    pub fn new(key: &'k AuditKey, recorded: Option<Head>) -> Verifier<'k> {
        Verifier {
            key,
            recorded,
            entries: 0,
            last: Head::genesis(),
            keyed: false,
            broken: None,
            recorded_matched: None,
        }
    }

    /// The next entry. After a break, entries are only counted.
    pub fn push(&mut self, entry: &Entry) {
        self.entries += 1;
        if self.broken.is_some() {
            return;
        }
        let expected_seq = self.last.seq + 1;
        let problem = if entry.seq != expected_seq {
            Some(format!(
                "expected entry {expected_seq} here, found {} (an entry is missing or was inserted)",
                entry.seq
            ))
        } else if entry.prev_hash != self.last.hash {
            Some("does not point at the previous entry's hash".to_owned())
        } else {
            self.check_hash(entry).err()
        };
        if let Some(problem) = problem {
            self.broken = Some((entry.seq, problem));
            return;
        }
        if self.recorded.as_ref().is_some_and(|head| head.seq == entry.seq) {
            self.recorded_matched = self.recorded.as_ref().map(|head| head.hash == entry.hash);
        }
        self.last = Head { seq: entry.seq, hash: entry.hash.clone() };
    }

    fn check_hash(&mut self, entry: &Entry) -> Result<(), String> {
        if keyed_hash(self.key, entry) == entry.hash {
            self.keyed = true;
            return Ok(());
        }
        let plain = plain_hash(entry) == entry.hash;
        match (self.keyed, plain) {
            // The switch to keyed hashes is keyed itself, always.
            (false, true) if entry.action == KEYED_ACTION => Err("it marks the switch to keyed hashes but its \
                 hash is a plain SHA-256: it was re-hashed by someone without the audit key"
                .to_owned()),
            // Written before the trail was keyed.
            (false, true) => Ok(()),
            (true, true) => Err("its hash is a plain SHA-256 where a keyed one belongs: it was altered \
                 and re-hashed by someone without the audit key"
                .to_owned()),
            (true, false) => Err("its content does not match its hash (it was altered)".to_owned()),
            (false, false) => Err("its content does not match its hash (it was altered, or the audit key is not \
                 the one the trail was written with)"
                .to_owned()),
        }
    }

    /// The verdict, given the head the platform itself keeps.
    pub fn finish(self, stored: &Head) -> Verification {
        let entries = self.entries;
        let last = &self.last;
        let fail = |seq: i64, problem: String| Verification {
            ok: false,
            entries,
            first_broken: Some(seq),
            problem: Some(problem),
            head: None,
        };
        if let Some((seq, problem)) = self.broken {
            return fail(seq, problem);
        }
        if entries > 0 && !self.keyed {
            return fail(
                last.seq,
                format!(
                    "the trail ends with entry {} unkeyed: every entry since the trail was keyed was re-hashed \
                     without the audit key (or the key is not the one the trail was written with)",
                    last.seq
                ),
            );
        }
        if stored.seq > last.seq {
            return fail(
                last.seq + 1,
                format!(
                    "the trail ends at entry {}, but the head records entry {} (entries were removed)",
                    last.seq, stored.seq
                ),
            );
        }
        if stored.seq < last.seq {
            return fail(
                stored.seq + 1,
                format!("the trail goes on to entry {} past the platform's head, entry {}", last.seq, stored.seq),
            );
        }
        if stored.hash != last.hash {
            return fail(last.seq, format!("the platform's head records another hash for entry {}", last.seq));
        }
        if let Some(recorded) = &self.recorded {
            if recorded.seq > last.seq {
                return fail(
                    last.seq + 1,
                    format!(
                        "the trail ends at entry {}, but the head recorded outside the platform is entry {} \
                         (entries were removed)",
                        last.seq, recorded.seq
                    ),
                );
            }
            let matched =
                if recorded.seq == 0 { recorded.hash == GENESIS } else { self.recorded_matched == Some(true) };
            if !matched {
                return fail(
                    recorded.seq,
                    format!(
                        "entry {} does not have the hash of the head recorded outside the platform: the trail up \
                         to it was rewritten",
                        recorded.seq
                    ),
                );
            }
        }
        Verification { ok: true, entries, first_broken: None, problem: None, head: Some(self.last) }
    }
}

/// Checks a whole trail held in memory (tests and small tools); the host
/// streams its trail through a [`Verifier`] instead.
pub fn verify<'e>(
    key: &AuditKey,
    entries: impl IntoIterator<Item = &'e Entry>,
    stored: &Head,
    recorded: Option<&Head>,
) -> Verification {
    let mut verifier = Verifier::new(key, recorded.cloned());
    for entry in entries {
        verifier.push(entry);
    }
    verifier.finish(stored)
}

impl Head {
    /// The head of an empty trail.
    pub fn genesis() -> Head {
        Head { seq: 0, hash: GENESIS.to_owned() }
    }
}

/// `SEQ:HASH`, as an operator records it.
impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;

    fn from_str(text: &str) -> Result<Head, String> {
        let usage = || {
            let mut message = String::from("expected SEQ:HASH, the entry's number and its 64 hex digits");
            let _ = write!(message, " (as `onewindow audit verify` prints it), got `{}`", text.escape_debug());
            message
        };
        let (seq, hash) = text.trim().split_once(':').ok_or_else(usage)?;
        let seq: i64 = seq.parse().ok().filter(|seq| *seq >= 0).ok_or_else(usage)?;
        let is_hash = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_hash {
            return Err(usage());
        }
        Ok(Head { seq, hash: hash.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> AuditKey {
        AuditKey::from_bytes(&[byte; 32]).unwrap()
    }

    fn entry(seq: i64, prev_hash: &str) -> Entry {
        Entry {
            seq,
            at: format!("2026-11-26T10:00:{:02}.000Z", seq % 60),
            actor: "admin".into(),
            actor_unit: None,
            action: "plugin.approve".into(),
            target: format!("plugin:p{seq}"),
            details: serde_json::json!({"n": seq}),
            request_id: "r".into(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        }
    }

    /// `plain` entries hashed the old way, then `keyed` ones under `key`.
    fn chain(key: &AuditKey, plain: i64, keyed: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=plain + keyed)
            .map(|seq| {
                let mut entry = entry(seq, &prev);
                entry.hash = if seq <= plain { plain_hash(&entry) } else { keyed_hash(key, &entry) };
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    fn head_of(entries: &[Entry]) -> Head {
        entries.last().map_or_else(Head::genesis, |e| Head { seq: e.seq, hash: e.hash.clone() })
    }

    fn check(key: &AuditKey, entries: &[Entry], recorded: Option<&Head>) -> Verification {
        verify(key, entries, &head_of(entries), recorded)
    }

    /// Recomputes plain SHA-256 hashes from `from` (0-based) to the end, as
    /// someone with the database but not the key would.
    fn rehash_plain_from(entries: &mut [Entry], from: usize) {
        for i in from..entries.len() {
            if i > 0 {
                entries[i].prev_hash = entries[i - 1].hash.clone();
            }
            entries[i].hash = plain_hash(&entries[i]);
        }
    }

    #[test]
    fn an_untouched_keyed_chain_verifies_and_names_its_head() {
        let key = key(1);
        let trail = chain(&key, 0, 5);
        let verdict = check(&key, &trail, None);
        assert_eq!(
            verdict,
            Verification { ok: true, entries: 5, first_broken: None, problem: None, head: Some(head_of(&trail)) }
        );
        assert!(check(&key, &[], None).ok, "an empty trail");
        assert_eq!(check(&key, &[], None).head, Some(Head::genesis()));
    }

    #[test]
    fn entries_from_before_the_key_verify_with_the_old_rule() {
        let key = key(1);
        let upgraded = chain(&key, 3, 2);
        assert_eq!(plain_hash(&upgraded[2]), upgraded[2].hash);
        assert!(check(&key, &upgraded, None).ok);
        // Changing an old entry breaks the first keyed entry's link, which
        // cannot be recomputed without the key.
        let mut altered = upgraded.clone();
        altered[1].target = "plugin:other".into();
        rehash_plain_from(&mut altered[..3], 1);
        let verdict = check(&key, &altered, None);
        assert_eq!(verdict.first_broken, Some(4));
        assert!(verdict.problem.unwrap().contains("previous entry's hash"));
    }

    #[test]
    fn a_rewrite_rehashed_without_the_key_is_refused() {
        let key = key(1);
        let original = chain(&key, 0, 6);
        // Rewrite entry 3 and recompute plain SHA-256 hashes down the chain:
        // every link and every plain hash checks out, the keyed ones do not.
        let mut rewritten = original.clone();
        rewritten[2].actor = "mallory".into();
        rehash_plain_from(&mut rewritten, 2);
        let verdict = check(&key, &rewritten, None);
        assert!(!verdict.ok);
        assert_eq!(verdict.first_broken, Some(3));
        assert!(verdict.problem.unwrap().contains("without the audit key"));

        // Rewriting from the very first entry leaves a trail with no keyed
        // entry at all, which is refused too.
        let mut whole = original.clone();
        whole[0].details = serde_json::json!({"n": 0});
        rehash_plain_from(&mut whole, 0);
        let verdict = check(&key, &whole, None);
        assert_eq!((verdict.ok, verdict.first_broken), (false, Some(6)));
        assert!(verdict.problem.unwrap().contains("unkeyed"));

        // Even with the same rewrite of an upgraded trail, from the first keyed entry on.
        let mut downgraded = chain(&key, 2, 3);
        downgraded[3].actor = "mallory".into();
        rehash_plain_from(&mut downgraded, 2);
        assert!(!check(&key, &downgraded, None).ok);
    }

    #[test]
    fn another_key_does_not_verify() {
        let trail = chain(&key(1), 0, 3);
        let verdict = check(&key(2), &trail, None);
        assert_eq!(verdict.first_broken, Some(1));
        assert!(verdict.problem.unwrap().contains("audit key is not the one"));
    }

    #[test]
    fn finds_the_first_altered_removed_or_reordered_entry() {
        let key = key(1);
        let mut altered = chain(&key, 0, 5);
        altered[2].details = serde_json::json!({"n": 99});
        let verdict = check(&key, &altered, None);
        assert_eq!((verdict.first_broken, verdict.entries), (Some(3), 5), "every entry is still counted");
        assert!(verdict.problem.unwrap().contains("altered"));

        let mut removed = chain(&key, 0, 5);
        removed.remove(1);
        assert_eq!(check(&key, &removed, None).first_broken, Some(3));

        let mut swapped = chain(&key, 0, 5);
        swapped.swap(1, 2);
        assert_eq!(check(&key, &swapped, None).first_broken, Some(3), "entry 3 where 2 belongs");
    }

    #[test]
    fn the_trail_must_reach_the_platforms_head() {
        let key = key(1);
        let full = chain(&key, 0, 4);
        let truncated = &full[..2];
        assert!(check(&key, truncated, None).ok, "the chain itself still links");
        let verdict = verify(&key, truncated, &head_of(&full), None);
        assert_eq!(verdict.first_broken, Some(3));
        assert!(verdict.problem.unwrap().contains("removed"));
        let verdict = verify(&key, &full, &head_of(truncated), None);
        assert_eq!(verdict.first_broken, Some(3));
        assert!(verdict.problem.unwrap().contains("past the platform's head"));
    }

    #[test]
    fn a_head_recorded_outside_catches_truncation_and_rewrites_the_platform_hides() {
        let key = key(1);
        let full = chain(&key, 0, 6);
        let recorded = head_of(&full[..4]);
        // Later entries are fine: the recorded head is still on the trail.
        assert!(check(&key, &full, Some(&recorded)).ok);
        assert!(check(&key, &full, Some(&Head::genesis())).ok);

        // Entries removed from the end, the platform's head moved back with them.
        let verdict = check(&key, &full[..3], Some(&recorded));
        assert_eq!(verdict.first_broken, Some(4));
        assert!(verdict.problem.unwrap().contains("recorded outside the platform is entry 4"));

        // A different trail of the same length (re-written by the key's holder,
        // or another database): the head's hash differs.
        let mut other = full.clone();
        other[1].actor = "someone".into();
        let mut prev = other[0].hash.clone();
        for entry in &mut other[1..] {
            entry.prev_hash = prev;
            entry.hash = keyed_hash(&key, entry);
            prev = entry.hash.clone();
        }
        assert!(check(&key, &other, None).ok, "consistent in itself");
        let verdict = check(&key, &other, Some(&recorded));
        assert_eq!(verdict.first_broken, Some(4));
        assert!(verdict.problem.unwrap().contains("rewritten"));
    }

    #[test]
    fn heads_read_and_print_as_seq_colon_hash() {
        let head = Head { seq: 12, hash: "ab".repeat(32) };
        assert_eq!(head.to_string().parse::<Head>(), Ok(head.clone()));
        assert_eq!(head.to_string(), format!("12:{}", "ab".repeat(32)));
        for bad in ["", "12", "x:ab", &format!("-1:{}", "ab".repeat(32)), "3:abc", &format!("3:{}", "AB".repeat(32))] {
            let error = bad.parse::<Head>().unwrap_err();
            assert!(error.contains("SEQ:HASH"), "{bad}: {error}");
        }
    }
}
