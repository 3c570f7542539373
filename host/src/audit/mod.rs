//! The evidence trail: an append-only, hash-chained record of every
//! privileged act. Each entry's hash covers its own fields and the previous
//! entry's hash, keyed with the audit key (see [`chain`]), so changing,
//! inserting or deleting any entry breaks the chain from that point on, and
//! only the key's holder could recompute it. [`verify_stored`] finds the first
//! break, reading the trail a page at a time.
//!
//! What the chain alone cannot show is entries removed from its end together
//! with the stored head: for that, record the head (`SEQ:HASH`) outside the
//! platform now and then and pass it to a later check.

mod chain;
mod key;

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::store::{Store, timestamp};

pub use chain::{Verification, Verifier, keyed_hash, plain_hash, verify};
pub use key::{AuditKey, ENV_VAR as KEY_ENV_VAR, FILE_NAME as KEY_FILE_NAME, KeyError, KeyOrigin};

/// Who did something: an account, or the platform itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// An account id, or `system`.
    pub id: String,
    /// The actor's unit, for staff.
    pub unit: Option<String>,
}

impl Actor {
    /// The platform acting on its own (first-party installs, start-up).
    pub fn system() -> Actor {
        Actor { id: "system".into(), unit: None }
    }

    /// Someone not signed in (a failed sign-in, say).
    pub fn anonymous() -> Actor {
        Actor { id: "anonymous".into(), unit: None }
    }
}

/// An act to record.
#[derive(Debug, Clone)]
pub struct Act<'a> {
    pub actor: &'a Actor,
    /// What was done, e.g. `plugin.approve`.
    pub action: &'a str,
    /// What it was done to, e.g. `plugin:residence-permit@0.2.0`.
    pub target: &'a str,
    /// Anything else worth keeping (the grants given, a reason, ...).
    pub details: serde_json::Value,
    pub request_id: &'a str,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_unit: Option<String>,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The act that marks where an existing, unkeyed trail went over to keyed hashes.
pub const KEYED_ACTION: &str = "audit.keyed";

/// How many entries verification reads at a time.
const PAGE: usize = 1000;

/// Appends an entry inside `tx`, so it commits exactly when the act does.
/// Its hash is keyed with the store's audit key (an error if it has none).
pub async fn record(store: &Store, tx: &mut Transaction<'static, Any>, act: Act<'_>) -> Result<Entry, sqlx::Error> {
    let key = require_key(store)?;
    // Taking the head row first serialises writers on both backends (a row
    // lock on PostgreSQL, the write lock on SQLite), so two acts can never
    // chain onto the same predecessor.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    let (seq, prev_hash): (i64, String) = (head.try_get(0)?, head.try_get(1)?);
    let mut entry = Entry {
        seq,
        at: timestamp::now(),
        actor: act.actor.id.clone(),
        actor_unit: act.actor.unit.clone(),
        action: act.action.to_owned(),
        target: act.target.to_owned(),
        details: act.details,
        request_id: act.request_id.to_owned(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = keyed_hash(key, &entry);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, actor_unit, action, target, details, request_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(entry.seq)
    .bind(&entry.at)
    .bind(&entry.actor)
    .bind(&entry.actor_unit)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(entry.details.to_string())
    .bind(&entry.request_id)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&entry.hash).execute(&mut **tx).await?;
    Ok(entry)
}

/// Appends an entry in a transaction of its own (for acts that change
/// nothing else, such as a refused upload or a failed sign-in).
pub async fn record_alone(store: &Store, act: Act<'_>) -> Result<Entry, sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    let entry = record(store, &mut tx, act).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Filters for reading the trail; all optional, AND-ed.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// Only this actor (account id or `system`).
    pub actor: Option<String>,
    /// Only this action, e.g. `plugin.approve`.
    pub action: Option<String>,
    /// Only this target, e.g. `plugin:residence-permit`; a trailing `*` matches a prefix.
    pub target: Option<String>,
    /// Only entries at or after this time (RFC 3339, UTC).
    pub from: Option<String>,
    /// Only entries before this time (RFC 3339, UTC).
    pub to: Option<String>,
    /// Only entries after this sequence number (for paging).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// At most this many entries (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Reads entries in sequence order.
pub async fn list(store: &Store, query: &Query) -> Result<Vec<Entry>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT seq, at, actor, actor_unit, action, target, details, request_id, prev_hash, hash FROM audit_log WHERE seq > $1",
    );
    let mut binds: Vec<String> = Vec::new();
    // Each condition: `AND <column> <op> $n<suffix>`, with its value bound.
    let mut add = |condition: &str, value: String, suffix: &str| {
        binds.push(value);
        sql += &format!(" AND {condition} ${}{suffix}", binds.len() + 1);
    };
    if let Some(actor) = &query.actor {
        add("actor =", actor.clone(), "");
    }
    if let Some(action) = &query.action {
        add("action =", action.clone(), "");
    }
    match query.target.as_deref().map(|t| t.strip_suffix('*').map_or((t, false), |p| (p, true))) {
        Some((prefix, true)) => {
            let pattern = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            // SQLite has no default escape character; name it for both.
            add("target LIKE", format!("{pattern}%"), " ESCAPE '\\'");
        }
        Some((exact, false)) => add("target =", exact.to_owned(), ""),
        None => {}
    }
    if let Some(from) = &query.from {
        add("at >=", from.clone(), "");
    }
    if let Some(to) = &query.to {
        add("at <", to.clone(), "");
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    sql += &format!(" ORDER BY seq LIMIT {limit}");
    let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(query.after.unwrap_or(0));
    for value in binds {
        statement = statement.bind(value);
    }
    let rows = statement.fetch_all(store.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// The chain's head: the number and hash of the last entry. Publishing it
/// elsewhere (printing it, say) lets a later check notice a rewritten or
/// truncated trail. Written and read as `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Reads the head.
pub async fn head(store: &Store) -> Result<Head, sqlx::Error> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(store.pool()).await?;
    Ok(Head { seq: row.try_get(0)?, hash: row.try_get(1)? })
}

/// Checks the stored trail with the store's audit key, a page at a time, and
/// against `recorded`, a head recorded earlier outside the platform, if given.
pub async fn verify_stored(store: &Store, recorded: Option<Head>) -> Result<Verification, sqlx::Error> {
    let mut verifier = Verifier::new(require_key(store)?, recorded);
    let mut read_to = 0;
    loop {
        let before = read_to;
        read_to = feed_pages(store, &mut verifier, read_to).await?;
        // The head is read after the entries: acts recorded meanwhile move it
        // on, so read up to it once more (and stop when nothing more comes).
        let stored = head(store).await?;
        if stored.seq <= read_to || read_to == before {
            return Ok(verifier.finish(&stored));
        }
    }
}

/// Feeds every entry after `after` to `verifier`, in pages; returns the
/// number of the last one.
async fn feed_pages(store: &Store, verifier: &mut Verifier<'_>, mut after: i64) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "SELECT seq, at, actor, actor_unit, action, target, details, request_id, prev_hash, hash FROM audit_log \
         WHERE seq > $1 ORDER BY seq LIMIT {PAGE}"
    );
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(after).fetch_all(store.pool()).await?;
        for row in &rows {
            let entry = from_row(row)?;
            verifier.push(&entry);
            after = entry.seq;
        }
        if rows.len() < PAGE {
            return Ok(after);
        }
    }
}

/// What start-up found the trail to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Keying {
    /// No entries yet: every one will be keyed.
    Empty,
    /// Its last entry is keyed with this key.
    Keyed,
    /// It was unkeyed; the entry with this number now marks the switch to keyed hashes.
    SwitchedOver(i64),
    /// Its last entry does not check out with this key: the key is not the
    /// one the trail was written with, or the trail was altered.
    Unverifiable(String),
}

/// Makes sure new entries continue the trail under the store's key: an
/// existing unkeyed trail (from before there was a key) gets a
/// [`KEYED_ACTION`] entry, once. Called at start-up, before anything is recorded.
pub async fn ensure_keyed(store: &Store) -> Result<Keying, sqlx::Error> {
    let key = require_key(store)?;
    let mut tx = store.pool().begin().await?;
    // Lock the head as an append does, so hosts starting together switch once.
    let locked = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq").fetch_one(&mut *tx).await?;
    let seq: i64 = locked.try_get(0)?;
    if seq == 0 {
        return Ok(Keying::Empty);
    }
    let sql = "SELECT seq, at, actor, actor_unit, action, target, details, request_id, prev_hash, hash FROM audit_log WHERE seq = $1";
    let Some(last) = sqlx::query(sql).bind(seq).fetch_optional(&mut *tx).await? else {
        return Ok(Keying::Unverifiable(format!("the head records entry {seq}, which is not on the trail")));
    };
    let last = from_row(&last)?;
    if keyed_hash(key, &last) == last.hash {
        return Ok(Keying::Keyed);
    }
    if plain_hash(&last) != last.hash {
        return Ok(Keying::Unverifiable(format!(
            "entry {seq} matches its hash under neither the audit key ({}) nor the unkeyed rule",
            key.origin()
        )));
    }
    let switched = sqlx::query("SELECT seq FROM audit_log WHERE action = $1 LIMIT 1")
        .bind(KEYED_ACTION)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(row) = switched {
        // Keying again would bless entries re-hashed without the key.
        let at: i64 = row.try_get(0)?;
        return Ok(Keying::Unverifiable(format!(
            "the trail was keyed at entry {at}, but its last entry {seq} carries an unkeyed hash"
        )));
    }
    let act = Act {
        actor: &Actor::system(),
        action: KEYED_ACTION,
        target: "audit",
        details: serde_json::json!({ "hash": "hmac-sha256", "unkeyed_entries": seq }),
        request_id: "startup",
    };
    let entry = record(store, &mut tx, act).await?;
    tx.commit().await?;
    Ok(Keying::SwitchedOver(entry.seq))
}

fn require_key(store: &Store) -> Result<&AuditKey, sqlx::Error> {
    store.audit_key().ok_or_else(|| sqlx::Error::Configuration("the audit key is not loaded".into()))
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    let details: String = row.try_get("details")?;
    Ok(Entry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        actor_unit: row.try_get("actor_unit")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite_store(dir: &std::path::Path) -> Store {
        Store::connect(&format!("sqlite://{}?mode=rwc", dir.join("t.db").display()), 2).await.unwrap()
    }

    fn key(byte: u8) -> AuditKey {
        AuditKey::from_bytes(&[byte; 32]).unwrap()
    }

    fn act<'a>(actor: &'a Actor, target: &'a str) -> Act<'a> {
        Act { actor, action: "test.act", target, details: serde_json::json!({"target": target}), request_id: "r" }
    }

    async fn hash_of(store: &Store, seq: i64) -> String {
        sqlx::query("SELECT hash FROM audit_log WHERE seq = $1").bind(seq).fetch_one(store.pool()).await.unwrap().get(0)
    }

    /// Appends an entry the way hosts before the audit key did.
    async fn record_unkeyed(store: &Store, target: &str) {
        let mut tx = store.pool().begin().await.unwrap();
        let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        let mut entry = Entry {
            seq: head.get(0),
            at: timestamp::now(),
            actor: "system".into(),
            actor_unit: None,
            action: "test.old".into(),
            target: target.into(),
            details: serde_json::json!({}),
            request_id: "r".into(),
            prev_hash: head.get(1),
            hash: String::new(),
        };
        entry.hash = plain_hash(&entry);
        sqlx::query("INSERT INTO audit_log (seq, at, actor, action, target, details, request_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, '{}', $6, $7, $8)")
            .bind(entry.seq).bind(&entry.at).bind(&entry.actor).bind(&entry.action).bind(&entry.target)
            .bind(&entry.request_id).bind(&entry.prev_hash).bind(&entry.hash)
            .execute(&mut *tx).await.unwrap();
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&entry.hash).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// What someone with the database but not the key can do: re-hash every
    /// entry from `from` on with plain SHA-256, head included.
    async fn rehash_unkeyed_from(store: &Store, from: i64) {
        let query = Query { after: Some(from - 1), limit: Some(500), ..Query::default() };
        let mut prev = if from == 1 { GENESIS.to_owned() } else { hash_of(store, from - 1).await };
        for mut entry in list(store, &query).await.unwrap() {
            entry.prev_hash = prev;
            entry.hash = plain_hash(&entry);
            sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                .bind(&entry.prev_hash)
                .bind(&entry.hash)
                .bind(entry.seq)
                .execute(store.pool())
                .await
                .unwrap();
            prev = entry.hash;
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&prev).execute(store.pool()).await.unwrap();
    }

    #[tokio::test]
    async fn a_trail_of_thousands_is_verified_a_page_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(dir.path()).await.with_audit_key(key(1));
        let actor = Actor::system();
        let mut tx = store.pool().begin().await.unwrap();
        for n in 0..2500 {
            record(&store, &mut tx, act(&actor, &format!("n:{n}"))).await.unwrap();
        }
        tx.commit().await.unwrap();
        let stored = head(&store).await.unwrap();
        assert_eq!(stored.seq, 2500);
        let recorded = Head { seq: 1200, hash: hash_of(&store, 1200).await };
        let verdict = verify_stored(&store, Some(recorded.clone())).await.unwrap();
        assert_eq!(
            verdict,
            Verification { ok: true, entries: 2500, first_broken: None, problem: None, head: Some(stored) }
        );

        // An entry just past the first page, altered: found exactly there,
        // and every entry is still read.
        sqlx::query("UPDATE audit_log SET target = 'n:elsewhere' WHERE seq = 1001")
            .execute(store.pool())
            .await
            .unwrap();
        let verdict = verify_stored(&store, Some(recorded)).await.unwrap();
        assert_eq!((verdict.ok, verdict.first_broken, verdict.entries), (false, Some(1001), 2500));
        assert!(verdict.problem.unwrap().contains("altered"));
    }

    #[tokio::test]
    async fn an_unkeyed_trail_is_switched_over_once_and_a_downgrade_is_not_blessed() {
        let dir = tempfile::tempdir().unwrap();
        let unkeyed = sqlite_store(dir.path()).await;
        let actor = Actor::system();
        let refused = record_alone(&unkeyed, act(&actor, "x")).await.unwrap_err();
        assert!(refused.to_string().contains("audit key"), "{refused}");
        assert_eq!(head(&unkeyed).await.unwrap(), Head::genesis(), "nothing recorded without a key");
        assert_eq!(ensure_keyed(&unkeyed.clone().with_audit_key(key(1))).await.unwrap(), Keying::Empty);
        for n in 0..3 {
            record_unkeyed(&unkeyed, &format!("old:{n}")).await;
        }

        let store = unkeyed.with_audit_key(key(1));
        assert_eq!(ensure_keyed(&store).await.unwrap(), Keying::SwitchedOver(4));
        let switch = list(&store, &Query { after: Some(3), ..Query::default() }).await.unwrap().remove(0);
        assert_eq!((switch.seq, switch.action.as_str(), switch.actor.as_str()), (4, KEYED_ACTION, "system"));
        assert_eq!(switch.details["unkeyed_entries"], 3);
        assert_eq!(ensure_keyed(&store).await.unwrap(), Keying::Keyed, "once");
        record_alone(&store, act(&actor, "new")).await.unwrap();
        let verdict = verify_stored(&store, None).await.unwrap();
        assert!(verdict.ok, "{verdict:?}");
        assert_eq!(verdict.entries, 5);

        // Another key neither verifies the trail nor keys it again.
        let other = store.clone().with_audit_key(key(2));
        assert!(matches!(ensure_keyed(&other).await.unwrap(), Keying::Unverifiable(_)));
        assert_eq!(verify_stored(&other, None).await.unwrap().first_broken, Some(4));

        // The keyed part re-hashed without the key: refused, and not switched again.
        rehash_unkeyed_from(&store, 4).await;
        let Keying::Unverifiable(problem) = ensure_keyed(&store).await.unwrap() else { panic!("must not re-key") };
        assert!(problem.contains("keyed at entry 4"), "{problem}");
        assert_eq!(head(&store).await.unwrap().seq, 5, "nothing appended");
        let verdict = verify_stored(&store, None).await.unwrap();
        assert_eq!(verdict.first_broken, Some(4), "{verdict:?}");
        assert!(verdict.problem.unwrap().contains("without the audit key"));
    }
}
