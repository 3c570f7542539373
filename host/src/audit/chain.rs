//! Computing and checking the hash chain. Pure functions, so the CLI can
//! verify a trail it downloaded with the same code the host uses.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Entry, GENESIS, Head};

/// The hash of an entry: SHA-256 over its previous hash and its fields,
/// each length-prefixed so no two different entries serialise alike.
pub fn entry_hash(entry: &Entry) -> String {
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
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The outcome of checking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// True when every entry checks out.
    pub ok: bool,
    /// How many entries were checked.
    pub entries: usize,
    /// The first entry that does not check out.
    pub first_broken: Option<i64>,
    /// Why it does not.
    pub problem: Option<String>,
}

/// Checks a whole trail, in sequence order: numbering without gaps, each
/// entry pointing at its predecessor's hash, each hash matching its fields.
pub fn verify(entries: &[Entry]) -> Verification {
    let mut prev_hash = GENESIS.to_owned();
    for (i, entry) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        let problem = if entry.seq != expected_seq {
            Some(format!(
                "expected entry {expected_seq} here, found {} (an entry is missing or was inserted)",
                entry.seq
            ))
        } else if entry.prev_hash != prev_hash {
            Some("does not point at the previous entry's hash".to_owned())
        } else if entry_hash(entry) != entry.hash {
            Some("its content does not match its hash (it was altered)".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Verification {
                ok: false,
                entries: entries.len(),
                first_broken: Some(entry.seq),
                problem: Some(problem),
            };
        }
        prev_hash = entry.hash.clone();
    }
    Verification { ok: true, entries: entries.len(), first_broken: None, problem: None }
}

/// Checks a trail and that it ends where the recorded head says: entries
/// removed from the end leave an intact chain, but not one that reaches the head.
pub fn verify_to_head(entries: &[Entry], head: &Head) -> Verification {
    let verification = verify(entries);
    if !verification.ok {
        return verification;
    }
    let (last_seq, last_hash) = entries.last().map_or((0, GENESIS), |e| (e.seq, e.hash.as_str()));
    if last_seq != head.seq || last_hash != head.hash {
        return Verification {
            ok: false,
            entries: entries.len(),
            first_broken: Some(last_seq + 1),
            problem: Some(format!(
                "the trail ends at entry {last_seq}, but the head records entry {} (entries were removed)",
                head.seq
            )),
        };
    }
    verification
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut entry = Entry {
                    seq,
                    at: format!("2026-11-26T10:00:0{seq}.000Z"),
                    actor: "admin".into(),
                    actor_unit: None,
                    action: "plugin.approve".into(),
                    target: format!("plugin:p{seq}"),
                    details: serde_json::json!({"n": seq}),
                    request_id: "r".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                entry.hash = entry_hash(&entry);
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Verification { ok: true, entries: 5, first_broken: None, problem: None });
        assert!(verify(&[]).ok);
    }

    #[test]
    fn a_truncated_trail_does_not_reach_the_head() {
        let full = chain(4);
        let head = Head { seq: 4, hash: full[3].hash.clone() };
        assert!(verify_to_head(&full, &head).ok);
        let truncated = &full[..2];
        assert!(verify(truncated).ok, "the chain itself still links");
        let verdict = verify_to_head(truncated, &head);
        assert_eq!(verdict.first_broken, Some(3));
        assert!(verdict.problem.unwrap().contains("removed"));
    }

    #[test]
    fn finds_the_first_altered_removed_or_reordered_entry() {
        let mut altered = chain(5);
        altered[2].details = serde_json::json!({"n": 99});
        assert_eq!(verify(&altered).first_broken, Some(3));

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(verify(&removed).first_broken, Some(3));

        let mut rehashed = chain(5);
        rehashed[1].actor = "mallory".into();
        rehashed[1].hash = entry_hash(&rehashed[1]);
        assert_eq!(verify(&rehashed).first_broken, Some(3), "re-hashing one entry breaks the next link");
    }
}
