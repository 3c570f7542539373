//! `onewindow dev DIR`: one plugin served on a local port with a throw-away
//! database, installed as the platform installs its own plugins (granted
//! everything it asks for), and a signed-in test resident and staff member,
//! so a partner can call it with curl before uploading. Everything is
//! deleted when it stops.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::auth::{password, token};
use crate::config::Config;
use crate::registry::{Installer, Manifest, Upload};
use crate::startup::{Application, shutdown_signal};
use crate::store::accounts::{self, NewAccount, Role};
use crate::store::{Store, sessions, timestamp};

/// Serves `dir` (plugin.toml + plugin.wasm) until interrupted.
pub async fn run(dir: &Path, listen: SocketAddr, unit: &str) -> anyhow::Result<()> {
    // Refuse early, with every fault, what an upload would refuse.
    super::check::run(&[dir.to_path_buf()])?;
    let manifest =
        Manifest::parse(&std::fs::read_to_string(dir.join("plugin.toml"))?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let files = super::upload_files::UploadFiles::read(&[dir.to_path_buf()])?;
    let scratch = tempfile::tempdir()?;
    let config = Config { listen, data_dir: scratch.path().join("data"), first_party: Vec::new(), ..Config::default() };
    let app = Application::build(config).await?;
    let store = app.state().store.clone();
    // Owned by `unit`, as that unit's upload would be, and granted all it asks.
    let upload = Upload::new(&files.manifest, &files.component).with_api(files.api.as_deref());
    Installer::new(store.clone(), app.state().runtime.clone())
        .install_owned(upload, Some(unit), "dev")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let resident = signed_in(&store, "dev-resident", Role::Resident, None).await?;
    let staff = signed_in(&store, "dev-staff", Role::Staff, Some(unit)).await?;
    let address = app.local_addr();
    let base = format!("http://{address}/api/v1/services/{}", manifest.id);
    println!("{} {} is serving at {base}/...  (throw-away data; Ctrl-C ends it)", manifest.id, manifest.version);
    println!();
    println!("  RESIDENT={resident}");
    println!("  STAFF={staff}        # staff of {unit}");
    println!();
    println!("  curl -H \"authorization: Bearer $RESIDENT\" {base}/...");
    app.run_until(shutdown_signal()).await
}

/// An account and a sign-in token for it (valid for a day).
async fn signed_in(store: &Store, username: &str, role: Role, unit: Option<&str>) -> anyhow::Result<String> {
    let hash = password::hash(&password::generate());
    let new = NewAccount { username, display_name: username, role, unit_id: unit, password_hash: &hash };
    let mut tx = store.pool().begin().await?;
    let account = accounts::create(&mut tx, new).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    let secret = token::generate();
    let expires = timestamp::format(time::OffsetDateTime::now_utc() + Duration::from_secs(24 * 3600));
    sessions::create(store, &token::hash(&secret), &account.id, &expires).await?;
    Ok(secret)
}
