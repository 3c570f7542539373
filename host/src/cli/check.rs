//! `onewindow plugin check DIR | FILES`: the validation an upload goes
//! through, run locally and without a platform, reporting every fault at once.

use std::path::{Path, PathBuf};

use wasmtime::component::Component;

use super::output::{errln, outln};
use crate::config::RuntimeConfig;
use crate::registry::Manifest;
use crate::registry::api_doc::ApiDoc;
use crate::registry::validate::{self, ValidationError};
use crate::runtime::{engine, state};

/// Checks the manifest, the component and (if given) `api.json` named by
/// `paths` (a plugin directory, or the files); prints what it found and
/// fails when anything would be refused at upload.
pub fn run(paths: &[PathBuf]) -> anyhow::Result<()> {
    let files = super::upload_files::locate(paths)?;
    let mut faults: Vec<String> = Vec::new();
    let shown = |path: &Path| path.display().to_string();
    match std::fs::read_to_string(&files.manifest) {
        Err(e) => faults.push(format!("{}: {e}", shown(&files.manifest))),
        Ok(text) => match Manifest::parse_all(&text) {
            Ok(manifest) => outln!(
                "{}: {} {} for world {}, asking for {}",
                shown(&files.manifest),
                manifest.id,
                manifest.version,
                manifest.world_version,
                if manifest.capabilities.is_empty() { "nothing".into() } else { manifest.capabilities.join(", ") }
            ),
            Err(errors) => faults.extend(errors.iter().map(ToString::to_string)),
        },
    }
    let wasm = shown(&files.component);
    match std::fs::read(&files.component) {
        Err(e) => faults.push(format!("{wasm}: {e}")),
        Ok(bytes) => match component_faults(&bytes) {
            Ok(found) if found.is_empty() => outln!("{wasm}: {} bytes, links to this host", bytes.len()),
            Ok(found) => faults.extend(found.iter().map(|f| format!("{wasm}: {f}"))),
            Err(e) => faults.push(format!("{wasm}: {e:#}")),
        },
    }
    if let Some(api) = &files.api {
        match std::fs::read_to_string(api).map_err(|e| vec![e.to_string()]).and_then(|t| ApiDoc::parse(&t)) {
            Ok(doc) => outln!("{}: {} routes described", shown(api), doc.routes().len()),
            Err(found) => faults.extend(found.iter().map(|f| format!("{}: {f}", shown(api)))),
        }
    }
    if faults.is_empty() {
        outln!("ok: the upload would be accepted");
        return Ok(());
    }
    for fault in &faults {
        errln!("refused: {fault}");
    }
    anyhow::bail!("{} fault(s): fix them and check again", faults.len())
}

/// What the upload's component checks would refuse.
fn component_faults(bytes: &[u8]) -> anyhow::Result<Vec<ValidationError>> {
    let max = (RuntimeConfig::default().max_component_mb as usize) << 20;
    if let Err(fault) = validate::check_bytes(bytes, max) {
        return Ok(vec![fault]);
    }
    let by_name = validate::surface_faults(bytes);
    if !by_name.is_empty() {
        return Ok(by_name);
    }
    // One instance slot: nothing runs here, the engine only compiles and links.
    let engine = engine::build(&RuntimeConfig { pool_instances: 1, ..RuntimeConfig::default() })?;
    let component = match Component::from_binary(&engine, bytes) {
        Ok(component) => component,
        Err(e) => {
            let message = validate::first_line(&format!("{e:#}"));
            return Ok(vec![ValidationError::InvalidComponent(message)]);
        }
    };
    let mut faults = validate::import_faults(&engine, &component);
    if faults.is_empty() {
        let linker = state::linker(&engine)?;
        let linked = linker
            .instantiate_pre(&component)
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .and_then(|pre| crate::wit::ServicePre::new(pre).map_err(|e| anyhow::anyhow!("{e:#}")));
        if let Err(e) = linked {
            faults.push(ValidationError::WrongWorld(validate::first_line(&format!("{e:#}"))));
        }
    }
    Ok(faults)
}
