//! Key rotation's second half: re-seals every sensitive value of the shared
//! record that is sealed under an older key, so the old key can then be
//! removed (`onewindow records reseal`). Safe to run while the platform
//! serves: each value is replaced only if it is still the one read.

use sqlx::Row;

use super::schema;
use super::sealing::Keyring;
use crate::store::Store;
use crate::store::statement::{Param, Statement, query};

/// What a run changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    /// Values moved to the newest key.
    pub resealed: u64,
    /// Values already under it.
    pub current: u64,
}

/// Re-seals every value not under `keyring`'s newest key.
pub async fn reseal_all(store: &Store, keyring: &Keyring) -> anyhow::Result<Resealed> {
    let mut outcome = Resealed::default();
    for table in &schema::schema().tables {
        for column in table.columns.iter().filter(|c| c.sensitive) {
            let aad = format!("{}.{}", table.name, column.name);
            let sql = format!(
                "SELECT id, \"{}\" FROM \"{}\" WHERE \"{}\" IS NOT NULL",
                column.name,
                table.physical(),
                column.name
            );
            let rows = query(Statement { sql, params: vec![] }).fetch_all(store.data_pool()).await?;
            for row in rows {
                let (id, sealed): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                if !keyring.needs_reseal(&sealed) {
                    outcome.current += 1;
                    continue;
                }
                let clear = keyring.open(&aad, &sealed).map_err(|e| anyhow::anyhow!("{aad} of row {id}: {e}"))?;
                let sql = format!(
                    "UPDATE \"{}\" SET \"{}\" = $1 WHERE id = $2 AND \"{}\" = $3",
                    table.physical(),
                    column.name,
                    column.name
                );
                let params = vec![Param::Text(keyring.seal(&aad, &clear)), Param::Integer(id), Param::Text(sealed)];
                // A value changed meanwhile was written under the newest key already.
                query(Statement { sql, params }).execute(store.data_pool()).await?;
                outcome.resealed += 1;
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tx::RequestTx;

    #[tokio::test]
    async fn old_values_move_to_the_newest_key_and_still_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url, 2).await.unwrap();
        crate::records::tables::ensure(&store).await.unwrap();
        let text = Keyring::generate_text();
        let old = Keyring::from_text(&text).unwrap();
        let aad = "resident_profile.id_number";
        let tx = RequestTx::for_platform(store.clone());
        let insert = Statement {
            sql: "INSERT INTO r_resident_profile (resident, id_number) VALUES ('r1', $1)".into(),
            params: vec![Param::Text(old.seal(aad, "11010519491231002X"))],
        };
        tx.write(insert, crate::store::tx::Run::Execute).await.unwrap();
        tx.commit().await.unwrap();

        // Rotate: the same file with a second sealing key.
        let rotated = Keyring::from_text(&format!("{text}\n{}", Keyring::generate_key_line(2))).unwrap();
        assert_eq!(reseal_all(&store, &rotated).await.unwrap(), Resealed { resealed: 1, current: 0 });
        assert_eq!(reseal_all(&store, &rotated).await.unwrap(), Resealed { resealed: 0, current: 1 }, "idempotent");
        let stored: String = sqlx::query("SELECT id_number FROM r_resident_profile")
            .fetch_one(store.data_pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert!(stored.starts_with("v1.2."), "{stored}");
        assert_eq!(rotated.open(aad, &stored).unwrap(), "11010519491231002X");
    }
}
