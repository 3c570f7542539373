//! Which files a `plugin upload` sends: a plugin directory (`plugin.toml`,
//! `plugin.wasm` and, if present, `api.json`), or the files themselves,
//! told apart by extension — `.toml` the manifest, `.wasm` the component,
//! `.json` the route description — so a build's output can be uploaded
//! where cargo left it.

use std::path::{Path, PathBuf};

/// The contents of an upload.
#[derive(Debug)]
pub struct UploadFiles {
    pub manifest: String,
    pub component: Vec<u8>,
    pub api: Option<String>,
}

/// The paths an upload reads.
#[derive(Debug, PartialEq, Eq)]
pub struct Paths {
    pub manifest: PathBuf,
    pub component: PathBuf,
    pub api: Option<PathBuf>,
}

/// Which file is which among `paths` (a plugin directory, or the files).
pub fn locate(paths: &[PathBuf]) -> anyhow::Result<Paths> {
    sort_out(paths, Path::is_dir)
}

impl UploadFiles {
    /// Reads the upload `paths` name; errors say which file and why.
    pub fn read(paths: &[PathBuf]) -> anyhow::Result<UploadFiles> {
        let paths = locate(paths)?;
        let text = |path: &Path| std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
        let component =
            std::fs::read(&paths.component).map_err(|e| anyhow::anyhow!("{}: {e}", paths.component.display()))?;
        Ok(UploadFiles {
            manifest: text(&paths.manifest)?,
            component,
            api: paths.api.as_deref().map(text).transpose()?,
        })
    }
}

/// Decides what each path is; `is_dir` is the file system's answer (a
/// parameter so the rules can be tested without files).
fn sort_out(paths: &[PathBuf], is_dir: impl Fn(&Path) -> bool) -> anyhow::Result<Paths> {
    if let [dir] = paths
        && is_dir(dir)
    {
        let api = dir.join("api.json");
        return Ok(Paths {
            manifest: dir.join("plugin.toml"),
            component: dir.join("plugin.wasm"),
            api: api.is_file().then_some(api),
        });
    }
    let (mut manifest, mut component, mut api) = (None, None, None);
    for path in paths {
        let slot = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => &mut manifest,
            Some("wasm") => &mut component,
            Some("json") => &mut api,
            _ => anyhow::bail!(
                "{}: not a plugin directory, nor a .toml manifest, .wasm component or .json route description",
                path.display()
            ),
        };
        if slot.replace(path.clone()).is_some() {
            anyhow::bail!("{}: a second file of the same kind; give one of each", path.display());
        }
    }
    match (manifest, component) {
        (Some(manifest), Some(component)) => Ok(Paths { manifest, component, api }),
        _ => anyhow::bail!("give a plugin directory, or a plugin.toml and a .wasm file (and optionally an api.json)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn a_directory_or_the_files_by_extension() {
        let dir = sort_out(&paths(&["gas"]), |_| true).unwrap();
        assert_eq!((dir.manifest, dir.component), (PathBuf::from("gas/plugin.toml"), PathBuf::from("gas/plugin.wasm")));
        let files = sort_out(&paths(&["target/gas.wasm", "plugin.toml", "api.json"]), |_| false).unwrap();
        assert_eq!(
            files,
            Paths { manifest: "plugin.toml".into(), component: "target/gas.wasm".into(), api: Some("api.json".into()) }
        );
    }

    #[test]
    fn says_what_is_missing_or_unknown() {
        let only_manifest = sort_out(&paths(&["plugin.toml"]), |_| false).unwrap_err().to_string();
        assert!(only_manifest.contains("a plugin.toml and a .wasm file"), "{only_manifest}");
        let unknown = sort_out(&paths(&["plugin.toml", "gas.zip"]), |_| false).unwrap_err().to_string();
        assert!(unknown.contains("gas.zip: not a plugin directory"), "{unknown}");
        let twice = sort_out(&paths(&["a.wasm", "b.wasm", "plugin.toml"]), |_| false).unwrap_err().to_string();
        assert!(twice.contains("b.wasm: a second file"), "{twice}");
        assert!(sort_out(&[], |_| false).is_err());
    }
}
