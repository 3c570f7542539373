//! Residents' inboxes: messages rendered in all three languages when sent
//! (so a template changed later does not rewrite what was said), shown in
//! the reader's language.

use sqlx::Row;

use super::statement::{Param, Statement};
use super::timestamp;
use super::tx::{RequestTx, Run};
use crate::registry::manifest::ColumnType;

/// A message to put in an inbox.
pub struct Message<'a> {
    pub resident: &'a str,
    /// The service id, `cases` or `alert`.
    pub source: &'a str,
    pub template: Option<&'a str>,
    pub zh: String,
    pub ug: String,
    pub en: String,
    pub case_id: Option<i64>,
    pub alert_id: Option<i64>,
}

/// A message in an inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub source: String,
    pub template: Option<String>,
    pub text_zh: String,
    pub text_ug: String,
    pub text_en: String,
    pub case_id: Option<i64>,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// Puts a message in an inbox, inside `tx`; returns its id.
pub async fn insert(tx: &RequestTx, message: &Message<'_>) -> Result<i64, sqlx::Error> {
    let optional_id = |id: Option<i64>| id.map_or(Param::Null(ColumnType::Integer), Param::Integer);
    let statement = Statement {
        sql: "INSERT INTO notifications (resident, source, template, text_zh, text_ug, text_en, case_id, alert_id, created_at) \
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
            .into(),
        params: vec![
            Param::Text(message.resident.to_owned()),
            Param::Text(message.source.to_owned()),
            message.template.map_or(Param::Null(ColumnType::Text), |t| Param::Text(t.to_owned())),
            Param::Text(message.zh.clone()),
            Param::Text(message.ug.clone()),
            Param::Text(message.en.clone()),
            optional_id(message.case_id),
            optional_id(message.alert_id),
            Param::Text(timestamp::now()),
        ],
    };
    let rows = tx.write(statement, Run::FetchAll).await?.rows();
    rows.first().ok_or(sqlx::Error::RowNotFound)?.try_get(0)
}

/// A resident's messages, newest first, and how many are unread.
pub async fn inbox(
    tx: &RequestTx,
    resident: &str,
    unread_only: bool,
    limit: u32,
    offset: u32,
) -> Result<(Vec<Notification>, i64), sqlx::Error> {
    let unread = if unread_only { " AND read_at IS NULL" } else { "" };
    let rows = tx
        .read(Statement {
            sql: format!(
                "SELECT id, source, template, text_zh, text_ug, text_en, case_id, created_at, read_at \
                 FROM notifications WHERE resident = $1{unread} ORDER BY id DESC LIMIT $2 OFFSET $3"
            ),
            params: vec![Param::Text(resident.to_owned()), Param::Integer(limit.into()), Param::Integer(offset.into())],
        })
        .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(Notification {
                id: r.try_get(0)?,
                source: r.try_get(1)?,
                template: r.try_get(2)?,
                text_zh: r.try_get(3)?,
                text_ug: r.try_get(4)?,
                text_en: r.try_get(5)?,
                case_id: r.try_get(6)?,
                created_at: r.try_get(7)?,
                read_at: r.try_get(8)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let unread = tx
        .read(Statement {
            sql: "SELECT COUNT(*) FROM notifications WHERE resident = $1 AND read_at IS NULL".into(),
            params: vec![Param::Text(resident.to_owned())],
        })
        .await?;
    let unread: i64 = unread.first().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
    Ok((items, unread))
}

/// Marks one of the resident's messages read; false if it is not theirs.
pub async fn mark_read(tx: &RequestTx, resident: &str, id: i64) -> Result<bool, sqlx::Error> {
    let changed = tx
        .write(
            Statement {
                sql: "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND resident = $3".into(),
                params: vec![Param::Text(timestamp::now()), Param::Integer(id), Param::Text(resident.to_owned())],
            },
            Run::Execute,
        )
        .await?
        .affected();
    Ok(changed == 1)
}

/// Fills `{name}` placeholders from `params`; an unknown placeholder stays
/// as written, a parameter no placeholder names is an error.
pub fn render(template: &str, params: &[(String, String)]) -> Result<String, String> {
    if let Some((name, _)) = params.iter().find(|(name, _)| !template.contains(&format!("{{{name}}}"))) {
        return Err(format!("the template has no placeholder `{{{name}}}`"));
    }
    // One pass over the template, so a value is never expanded again.
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            params.iter().find(|(n, _)| n == name).map(|(_, v)| (v, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// An alert to the residents of some areas.
pub struct Alert<'a> {
    pub unit: &'a str,
    pub areas: &'a [String],
    pub zh: &'a str,
    pub ug: &'a str,
    pub en: &'a str,
    pub sent_by: &'a str,
}

/// Records an alert and puts it, in one statement, in the inbox of every
/// resident whose profile lies in its areas, inside `tx`; returns the
/// alert's id and how many residents it reached.
pub async fn send_alert(tx: &RequestTx, alert: &Alert<'_>) -> Result<(i64, u64), sqlx::Error> {
    let now = timestamp::now();
    let statement = Statement {
        sql: "INSERT INTO alerts (unit, areas, text_zh, text_ug, text_en, sent_by, sent_at, recipients) \
              VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING id"
            .into(),
        params: vec![
            Param::Text(alert.unit.to_owned()),
            Param::Text(serde_json::to_string(alert.areas).expect("strings serialise")),
            Param::Text(alert.zh.to_owned()),
            Param::Text(alert.ug.to_owned()),
            Param::Text(alert.en.to_owned()),
            Param::Text(alert.sent_by.to_owned()),
            Param::Text(now.clone()),
        ],
    };
    let rows = tx.write(statement, Run::FetchAll).await?.rows();
    let id: i64 = rows.first().ok_or(sqlx::Error::RowNotFound)?.try_get(0)?;
    if alert.areas.is_empty() {
        return Ok((id, 0));
    }
    let mut params = vec![
        Param::Text(alert.zh.to_owned()),
        Param::Text(alert.ug.to_owned()),
        Param::Text(alert.en.to_owned()),
        Param::Integer(id),
        Param::Text(now),
    ];
    let mut placeholders = Vec::with_capacity(alert.areas.len());
    for area in alert.areas {
        params.push(Param::Text(area.clone()));
        placeholders.push(format!("${}", params.len()));
    }
    let deliver = Statement {
        sql: format!(
            "INSERT INTO notifications (resident, source, text_zh, text_ug, text_en, alert_id, created_at) \
             SELECT DISTINCT resident, 'alert', $1, $2, $3, $4, $5 FROM r_resident_profile \
             WHERE resident IS NOT NULL AND area IN ({})",
            placeholders.join(", ")
        ),
        params,
    };
    let reached = tx.write(deliver, Run::Execute).await?.affected();
    let count = Statement {
        sql: "UPDATE alerts SET recipients = $1 WHERE id = $2".into(),
        params: vec![Param::Integer(reached as i64), Param::Integer(id)],
    };
    tx.write(count, Run::Execute).await?;
    Ok((id, reached))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_their_placeholders_only() {
        let params = vec![("permit".to_owned(), "RP-1".to_owned())];
        assert_eq!(render("No. {permit} is ready", &params).unwrap(), "No. RP-1 is ready");
        assert!(render("nothing here", &params).unwrap_err().contains("{permit}"));
        // A value that looks like a placeholder is not expanded again.
        let tricky = vec![("a".to_owned(), "{b}".to_owned()), ("b".to_owned(), "x".to_owned())];
        assert_eq!(render("{a}{b}", &tricky).unwrap(), "{b}x");
    }
}
