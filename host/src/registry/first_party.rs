//! The first-party plugins shipped with Onewindow: each a directory holding
//! `plugin.toml` and `plugin.wasm` (`cargo xtask` stages them). They are
//! installed on start through the normal install path, as actor `system`;
//! a new version of one an admin stopped waits for review instead.

use std::path::Path;

use super::install::{InstallError, Installed, Installer};
use super::lifecycle::Upload;

/// The ids of the services the platform ships. No unit may claim one, even
/// on a platform that has not installed it yet: residents trust these names
/// to be the city's own.
pub const RESERVED_IDS: [&str; 4] = ["legal-consultation", "lost-id-reissue", "residence-permit", "utility-referral"];

/// Whether `id` is kept for a first-party service.
pub fn is_reserved(id: &str) -> bool {
    RESERVED_IDS.contains(&id)
}

/// The actor recorded for plugins the platform installs itself.
pub const SYSTEM_ACTOR: &str = "system";

/// Installs every plugin directory under `root`, in name order.
pub async fn install_all(installer: &Installer, root: &Path) -> anyhow::Result<Vec<(String, Installed)>> {
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .map_err(|e| anyhow::anyhow!("cannot read first-party plugin directory {}: {e}", root.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("plugin.toml").is_file())
        .collect();
    dirs.sort();
    let mut installed = Vec::new();
    for dir in dirs {
        let manifest = std::fs::read_to_string(dir.join("plugin.toml"))?;
        let component = std::fs::read(dir.join("plugin.wasm")).map_err(|e| {
            anyhow::anyhow!("{}: plugin.wasm: {e} (build plugins with `cargo xtask build-plugins`)", dir.display())
        })?;
        // The description of its routes, when the plugin ships one.
        let api = read_if_present(&dir.join("api.json"))?;
        let upload = Upload::new(&manifest, &component).with_api(api.as_deref());
        let outcome = installer
            .install_first_party(upload, SYSTEM_ACTOR)
            .await
            .map_err(|e: InstallError| anyhow::anyhow!("first-party plugin {}: {e}", dir.display()))?;
        installed.push((dir.file_name().unwrap_or_default().to_string_lossy().into_owned(), outcome));
    }
    Ok(installed)
}

fn read_if_present(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
    }
}
