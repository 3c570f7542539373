//! The partner and admin commands: each talks to a running host over its
//! HTTP API with a token (`--token`, `ONEWINDOW_TOKEN`, or `onewindow login`).
//! Output is for people by default and the API's JSON with `--json`; any
//! refusal exits non-zero with the problem's detail.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::client::{self, Client, Credentials};
use super::output::{errln, outln};
use crate::audit;

/// Where the host is and who we are.
#[derive(Args, Clone)]
pub struct Remote {
    /// The host's base URL [env: ONEWINDOW_URL; default: the saved login's, else http://127.0.0.1:8080]
    #[arg(long, global = true, env = "ONEWINDOW_URL")]
    url: Option<String>,
    /// A bearer token [env: ONEWINDOW_TOKEN; default: the saved login's]
    #[arg(long, global = true, env = "ONEWINDOW_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Print the API's JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
pub enum PluginCommand {
    /// Check a plugin locally, as an upload would be checked, reporting
    /// every fault at once: a directory (plugin.toml, plugin.wasm, api.json)
    /// or the files themselves, as for `upload`.
    Check {
        #[arg(required = true, num_args = 1..=3)]
        paths: Vec<PathBuf>,
    },
    /// Upload a plugin version: a directory with plugin.toml, plugin.wasm
    /// and optionally api.json — or those files named directly
    /// (`plugin upload plugin.toml target/wasm32-wasip2/release/gas.wasm`).
    Upload {
        #[arg(required = true, num_args = 1..=3)]
        paths: Vec<PathBuf>,
    },
    /// List plugins (an admin sees all; staff see their unit's).
    List,
    /// Show a plugin with all its versions.
    Show { id: String },
    /// A plugin's recent log lines, printed output and failures (your unit's plugins).
    Logs {
        id: String,
        /// Keep printing new lines as they come (checks every second).
        #[arg(long)]
        follow: bool,
    },
    /// The review queue: pending versions, with what they ask for.
    Reviews,
    /// Approve a pending version, granting all it asked for or a subset.
    Approve {
        id: String,
        version: String,
        /// The sha256 being approved (default: the pending upload's, printed).
        #[arg(long)]
        sha256: Option<String>,
        /// A grant: `log`, `data:table1,table2`, `records:TABLE:OP:COLUMN,TABLE:rows:SCOPE`,
        /// `cases:KIND:UNIT`. Repeat; omit to grant everything requested.
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// The written reason for a `records` grant of every row (`TABLE:rows:all`).
        #[arg(long)]
        reason: Option<String>,
        /// Memory limit in MiB (at most what was requested).
        #[arg(long)]
        memory_mb: Option<u32>,
        /// Deadline in milliseconds (at most what was requested).
        #[arg(long)]
        timeout_ms: Option<u32>,
        /// Concurrent instances (at most what was requested).
        #[arg(long)]
        max_concurrency: Option<u32>,
    },
    /// Reject a pending version.
    Reject {
        id: String,
        version: String,
        #[arg(long)]
        reason: String,
    },
    /// Suspend a plugin: its calls get 503 at once.
    Suspend {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Resume a suspended plugin.
    Resume { id: String },
    /// Retire a plugin for good.
    Retire {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Make an earlier approved version active again.
    Rollback { id: String, version: String },
    /// Free your unit's upload quota: withdraw a pending version, or drop the
    /// component of a rejected, retired or superseded one for good.
    Remove { id: String, version: String },
}

#[derive(Subcommand)]
pub enum UnitCommand {
    /// List units: an admin sees every unit, a staff member their own.
    List,
    /// Create a unit.
    Create {
        #[arg(long)]
        id: String,
        /// police, community, judicial or partner.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name_zh: String,
        #[arg(long)]
        name_ug: String,
        #[arg(long)]
        name_en: String,
        #[arg(long, default_value = "")]
        contact: String,
    },
}

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Create a staff account of a unit; prints a generated password unless --password-stdin.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// List entries (filters are AND-ed).
    List {
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        action: Option<String>,
        /// A target, or a prefix ending in `*`.
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        after: Option<i64>,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Check the trail's keyed hash chain (on the host, which holds the audit
    /// key); exits non-zero naming the first broken entry, else prints the
    /// head as SEQ:HASH to record somewhere outside the platform.
    Verify {
        /// A head recorded earlier (SEQ:HASH): the trail must still reach it
        /// with the same hash, or entries were removed or rewritten.
        #[arg(long, value_parser = parse_head)]
        head: Option<audit::Head>,
    },
}

/// A `--head` value: `SEQ:HASH`.
fn parse_head(text: &str) -> Result<audit::Head, String> {
    text.parse()
}

/// `onewindow login`.
pub async fn login(remote: Remote, username: &str) -> anyhow::Result<()> {
    let client = Client::new(remote.url, None)?;
    let password = read_stdin_line("password: ")?;
    let session = client.post("/api/v1/auth/sign-in", &json!({ "username": username, "password": password })).await?;
    let token = session["token"].as_str().ok_or_else(|| anyhow::anyhow!("the host sent no token"))?.to_owned();
    let path = client::save(&Credentials { url: client.url.clone(), token })?;
    if remote.json {
        outln!("{session:#}");
    } else {
        outln!(
            "signed in to {} as {} ({}); token saved in {}",
            client.url,
            username,
            session["account"]["role"].as_str().unwrap_or("?"),
            path.display()
        );
    }
    Ok(())
}

/// `onewindow me`.
pub async fn me(remote: Remote) -> anyhow::Result<()> {
    let client = Client::new(remote.url.clone(), remote.token.clone())?;
    let account = client.get("/api/v1/auth/me").await?;
    print(&remote, &account, |a| {
        outln!(
            "{} ({}), {} at {}",
            a["username"].as_str().unwrap_or("?"),
            a["display_name"].as_str().unwrap_or("?"),
            a["role"].as_str().unwrap_or("?"),
            client.url
        );
        match a["unit_id"].as_str() {
            Some(unit) => outln!("unit: {unit} ({})", a["unit_kind"].as_str().unwrap_or("?")),
            None => outln!("unit: (none)"),
        }
        outln!("account id: {}", a["id"].as_str().unwrap_or("?"));
    });
    Ok(())
}

fn read_stdin_line(prompt: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("{prompt}");
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn print(remote: &Remote, value: &Value, human: impl FnOnce(&Value)) {
    if remote.json { outln!("{value:#}") } else { human(value) }
}

fn version_line(v: &Value) -> String {
    format!(
        "{} {}  {}  sha256 {}  uploaded {} by {}",
        v["plugin_id"].as_str().unwrap_or("?"),
        v["version"].as_str().unwrap_or("?"),
        v["state"].as_str().unwrap_or("?"),
        v["sha256"].as_str().unwrap_or("?"),
        v["uploaded_at"].as_str().unwrap_or("?"),
        v["uploaded_by"].as_str().unwrap_or("?"),
    )
}

fn grants_text(grants: &Value) -> String {
    let items: Vec<String> = grants
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            let scope: Vec<&str> = g["scope"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            if scope.is_empty() {
                g["capability"].as_str().unwrap_or("?").to_owned()
            } else {
                format!("{}:{}", g["capability"].as_str().unwrap_or("?"), scope.join(","))
            }
        })
        .collect();
    if items.is_empty() { "(none)".into() } else { items.join(" ") }
}

/// Limits as the API sends them (`memory_mb`, `timeout_ms`,
/// `max_concurrency`), in words.
fn limits_text(limits: &Value) -> String {
    if limits.is_null() {
        return "(none)".into();
    }
    let number = |key: &str| limits[key].as_u64().map_or_else(|| "?".to_owned(), |n| n.to_string());
    format!(
        "memory {} MiB, deadline {} ms, concurrency {}",
        number("memory_mb"),
        number("timeout_ms"),
        number("max_concurrency")
    )
}

/// Parses `log` or `data:a,b` into a grant.
fn parse_grant(text: &str) -> Value {
    match text.split_once(':') {
        Some((capability, scope)) => {
            json!({ "capability": capability, "scope": scope.split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>() })
        }
        None => json!({ "capability": text }),
    }
}

/// `onewindow plugin ...`.
pub async fn plugin(remote: Remote, command: PluginCommand) -> anyhow::Result<()> {
    // A local check needs no host and no sign-in.
    if let PluginCommand::Check { paths } = &command {
        return super::check::run(paths);
    }
    let client = Client::new(remote.url.clone(), remote.token.clone())?;
    let admin = |id: &str, what: &str| format!("/api/v1/admin/plugins/{id}/{what}");
    let result = match command {
        PluginCommand::Check { .. } => unreachable!("handled above"),
        PluginCommand::Upload { paths } => {
            let files = super::upload_files::UploadFiles::read(&paths)?;
            let mut form = Form::new()
                .text("manifest", files.manifest)
                .part("component", Part::bytes(files.component).file_name("plugin.wasm").mime_str("application/wasm")?);
            if let Some(api) = files.api {
                form = form.text("api", api);
            }
            let uploaded = client.send(client.request(Method::POST, "/api/v1/plugins").multipart(form)).await?;
            print(&remote, &uploaded, |v| {
                outln!("uploaded {}", version_line(v));
                outln!("requested: {}", grants_text(&v["requested"]));
                outln!("it is pending until an admin approves it");
            });
            return Ok(());
        }
        PluginCommand::List => {
            let list = client.get("/api/v1/plugins").await?;
            print(&remote, &list, |v| {
                for p in v.as_array().into_iter().flatten() {
                    outln!(
                        "{}  active {}  owner {}",
                        p["id"].as_str().unwrap_or("?"),
                        p["active_version"].as_str().unwrap_or("(none)"),
                        p["owner_unit"].as_str().unwrap_or("(platform)")
                    );
                }
            });
            return Ok(());
        }
        PluginCommand::Logs { id, follow } => {
            let mut after = 0u64;
            loop {
                let lines = client.get(&format!("/api/v1/plugins/{id}/logs?after={after}&limit=1000")).await?;
                for line in lines.as_array().into_iter().flatten() {
                    after = after.max(line["seq"].as_u64().unwrap_or(after));
                    if remote.json {
                        outln!("{line}");
                    } else {
                        outln!(
                            "{} {} {:<7} {}  {}",
                            line["at"].as_str().unwrap_or_default(),
                            line["version"].as_str().unwrap_or_default(),
                            line["kind"].as_str().unwrap_or_default(),
                            line["request_id"].as_str().unwrap_or_default(),
                            line["message"].as_str().unwrap_or_default()
                        );
                    }
                }
                if !follow {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
        PluginCommand::Show { id } => {
            let shown = client.get(&format!("/api/v1/plugins/{id}")).await?;
            print(&remote, &shown, |v| {
                outln!(
                    "{}  owner {}  active {}",
                    id,
                    v["plugin"]["owner_unit"].as_str().unwrap_or("(platform)"),
                    v["plugin"]["active_version"].as_str().unwrap_or("(none)")
                );
                for version in v["versions"].as_array().into_iter().flatten() {
                    outln!("  {}", version_line(version));
                    outln!(
                        "    requested: {}  limits {}",
                        grants_text(&version["requested"]),
                        limits_text(&version["requested_limits"])
                    );
                    if !version["granted"].is_null() {
                        outln!(
                            "    granted:   {}  limits {}",
                            grants_text(&version["granted"]),
                            limits_text(&version["granted_limits"])
                        );
                    }
                    if let Some(note) = version["review_note"].as_str() {
                        outln!("    note: {note}");
                    }
                }
            });
            return Ok(());
        }
        PluginCommand::Reviews => {
            let queue = client.get("/api/v1/admin/reviews").await?;
            print(&remote, &queue, |v| {
                let items = v.as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    outln!("nothing to review");
                }
                for item in items {
                    outln!("{}", version_line(&item["version"]));
                    outln!(
                        "  requested: {}  limits {}",
                        grants_text(&item["version"]["requested"]),
                        limits_text(&item["version"]["requested_limits"])
                    );
                    if !item["current_grants"].is_null() {
                        outln!(
                            "  current:   {}  limits {}",
                            grants_text(&item["current_grants"]),
                            limits_text(&item["current_limits"])
                        );
                    }
                    for line in item["explained"].as_array().into_iter().flatten() {
                        outln!("  - {}", line.as_str().unwrap_or("?"));
                    }
                    for change in item["widening"].as_array().into_iter().flatten() {
                        outln!("  + {}", change.as_str().unwrap_or("?"));
                    }
                }
            });
            return Ok(());
        }
        PluginCommand::Approve { id, version, sha256, grants, reason, memory_mb, timeout_ms, max_concurrency } => {
            let pending = client.get(&format!("/api/v1/plugins/{id}")).await?;
            let record = pending["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|v| v["version"] == version.as_str())
                .cloned();
            let record = record.ok_or_else(|| anyhow::anyhow!("plugin {id} has no version {version}"))?;
            let sha256 = match sha256 {
                Some(sha) => sha,
                None => {
                    let sha = record["sha256"].as_str().unwrap_or_default().to_owned();
                    errln!("approving sha256 {sha}");
                    sha
                }
            };
            let mut body = json!({ "sha256": sha256 });
            if !grants.is_empty() {
                body["grants"] = grants.iter().map(|g| parse_grant(g)).collect();
            }
            if let Some(reason) = reason {
                // The reason goes with the `records` grant: everything requested
                // when no grants were named.
                if body["grants"].is_null() {
                    body["grants"] = record["requested"].clone();
                }
                for grant in body["grants"].as_array_mut().into_iter().flatten() {
                    if grant["capability"] == "records" {
                        grant["reason"] = json!(reason);
                    }
                }
            }
            if memory_mb.is_some() || timeout_ms.is_some() || max_concurrency.is_some() {
                let mut limits = record["requested_limits"].clone();
                for (key, value) in
                    [("memory_mb", memory_mb), ("timeout_ms", timeout_ms), ("max_concurrency", max_concurrency)]
                {
                    if let Some(value) = value {
                        limits[key] = value.into();
                    }
                }
                body["limits"] = limits;
            }
            client.post(&format!("/api/v1/admin/plugins/{id}/versions/{version}/approve"), &body).await?
        }
        PluginCommand::Reject { id, version, reason } => {
            client
                .post(&format!("/api/v1/admin/plugins/{id}/versions/{version}/reject"), &json!({ "reason": reason }))
                .await?
        }
        PluginCommand::Suspend { id, reason } => {
            client.post(&admin(&id, "suspend"), &json!({ "reason": reason })).await?
        }
        PluginCommand::Resume { id } => client.send(client.request(Method::POST, &admin(&id, "resume"))).await?,
        PluginCommand::Retire { id, reason } => {
            client.post(&admin(&id, "retire"), &json!({ "reason": reason })).await?
        }
        PluginCommand::Rollback { id, version } => {
            client.post(&admin(&id, "rollback"), &json!({ "version": version })).await?
        }
        PluginCommand::Remove { id, version } => {
            let path = format!("/api/v1/plugins/{id}/versions/{version}");
            let removed = client.send(client.request(Method::DELETE, &path)).await?;
            print(&remote, &removed, |v| {
                let what = if v["withdrawn"] == true { "withdrew" } else { "removed the component of" };
                outln!(
                    "{what} {id} {version} (was {}); {} bytes of your unit's quota freed",
                    v["previous_state"].as_str().unwrap_or("?"),
                    v["freed_bytes"]
                );
            });
            return Ok(());
        }
    };
    print(&remote, &result, |v| outln!("{}", version_line(v)));
    Ok(())
}

/// `onewindow unit ...`.
pub async fn unit(remote: Remote, command: UnitCommand) -> anyhow::Result<()> {
    let client = Client::new(remote.url.clone(), remote.token.clone())?;
    let result = match command {
        UnitCommand::List => client.get("/api/v1/admin/units").await?,
        UnitCommand::Create { id, kind, name_zh, name_ug, name_en, contact } => {
            let body = json!({ "id": id, "kind": kind, "name_zh": name_zh, "name_ug": name_ug, "name_en": name_en, "contact": contact });
            json!([client.post("/api/v1/admin/units", &body).await?])
        }
    };
    print(&remote, &result, |v| {
        for unit in v.as_array().into_iter().flatten() {
            outln!(
                "{}  {}  {} / {} / {}",
                unit["id"].as_str().unwrap_or("?"),
                unit["kind"].as_str().unwrap_or("?"),
                unit["name_en"].as_str().unwrap_or(""),
                unit["name_zh"].as_str().unwrap_or(""),
                unit["name_ug"].as_str().unwrap_or("")
            );
        }
    });
    Ok(())
}

/// `onewindow staff ...`.
pub async fn staff(remote: Remote, command: StaffCommand) -> anyhow::Result<()> {
    let client = Client::new(remote.url.clone(), remote.token.clone())?;
    let StaffCommand::Create { username, display_name, unit, password_stdin } = command;
    let mut body = json!({ "username": username, "display_name": display_name, "role": "staff", "unit_id": unit });
    if password_stdin {
        let mut password = String::new();
        std::io::stdin().read_to_string(&mut password)?;
        body["password"] = password.trim_end_matches(['\r', '\n']).into();
    }
    let created = client.post("/api/v1/admin/accounts", &body).await?;
    print(&remote, &created, |v| {
        outln!(
            "created staff {} of {} ({})",
            v["account"]["username"].as_str().unwrap_or("?"),
            v["account"]["unit_id"].as_str().unwrap_or("?"),
            v["account"]["id"].as_str().unwrap_or("?")
        );
        if let Some(password) = v["generated_password"].as_str() {
            outln!("password: {password}");
        }
    });
    Ok(())
}

/// `onewindow audit ...`.
pub async fn audit(remote: Remote, command: AuditCommand) -> anyhow::Result<()> {
    let client = Client::new(remote.url.clone(), remote.token.clone())?;
    match command {
        AuditCommand::List { actor, action, target, from, to, after, limit } => {
            let query: Vec<(&str, String)> = [
                ("actor", actor),
                ("action", action),
                ("target", target),
                ("from", from),
                ("to", to),
                ("after", after.map(|a| a.to_string())),
                ("limit", limit.map(|l| l.to_string())),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
            let entries = client.send(client.request(Method::GET, "/api/v1/admin/audit").query(&query)).await?;
            print(&remote, &entries, |v| {
                let entries = v.as_array().map(Vec::as_slice).unwrap_or_default();
                if entries.is_empty() {
                    outln!("no entries");
                }
                for e in entries {
                    outln!(
                        "#{} {} {} {} {} {}",
                        e["seq"],
                        e["at"].as_str().unwrap_or("?"),
                        e["actor"].as_str().unwrap_or("?"),
                        e["action"].as_str().unwrap_or("?"),
                        e["target"].as_str().unwrap_or("?"),
                        e["details"]
                    );
                }
            });
        }
        AuditCommand::Verify { head } => {
            let mut request = client.request(Method::GET, "/api/v1/admin/audit/verify");
            if let Some(head) = &head {
                request = request.query(&[("head", head.to_string())]);
            }
            let answer = client.send(request).await?;
            let verification: audit::Verification = serde_json::from_value(answer.clone())?;
            print(&remote, &answer, |_| {
                if let Some(current) = &verification.head {
                    let reached = head.as_ref().map(|h| format!("; reaches the recorded head {h}")).unwrap_or_default();
                    outln!("audit trail intact: {} entries verified{reached}", verification.entries);
                    outln!("head: {current}");
                }
            });
            if !verification.ok {
                anyhow::bail!(
                    "audit trail broken at entry {}: {}",
                    verification.first_broken.unwrap_or_default(),
                    verification.problem.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
