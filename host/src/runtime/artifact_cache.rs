//! Compiled components on disk, keyed by the component's sha256 and the
//! engine's compatibility hash, so a restart (or a second test) does not
//! compile again.
//!
//! Artifacts are served memory-mapped from their file (`deserialize_file`),
//! so a large (Python, JavaScript) plugin's code is page cache the kernel
//! can share and drop, not tens of MB of the host's own heap. A fresh
//! compile is written out, dropped and mapped back for the same reason, and
//! compiles run one at a time: each holds hundreds of MB while it runs.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cap_std::fs::Dir;
use wasmtime::Engine;
use wasmtime::component::Component;

/// Why a component could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The bytes are not a valid component (first line of wasmtime's reason).
    #[error("{0}")]
    Invalid(String),
    /// The cache directory could not be written.
    #[error(transparent)]
    Cache(#[from] std::io::Error),
}

/// The cache directory: written through cap-std, mapped by path.
pub struct ArtifactCache {
    dir: Dir,
    path: PathBuf,
    /// One compile at a time.
    compiling: Mutex<()>,
}

impl ArtifactCache {
    /// Uses the directory at `path` (created if missing) for artifacts.
    pub fn open(path: &Path) -> std::io::Result<ArtifactCache> {
        let dir = crate::data_dir::open(path)?;
        Ok(ArtifactCache { dir, path: path.to_path_buf(), compiling: Mutex::new(()) })
    }

    /// The artifact `name`, mapped from its file; `None` (and logged) if it
    /// is missing or unusable.
    fn mapped(&self, engine: &Engine, name: &str) -> Option<Component> {
        if !self.dir.exists(name) {
            return None;
        }
        // SAFETY: the file is one this cache wrote with `serialize` for an
        // engine with the same compatibility hash, inside the host's own
        // data directory, and never rewritten in place (new artifacts are
        // renamed over); `deserialize_file` still checks its header and
        // version and errors (we then recompile) on a mismatch.
        match unsafe { Component::deserialize_file(engine, self.path.join(name)) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!("discarding unusable cached artifact {name}: {e:#}");
                None
            }
        }
    }

    /// Loads the artifact of `sha256` if present and usable, else compiles
    /// `bytes` and stores the artifact. A corrupt or stale artifact is
    /// replaced, never trusted.
    pub fn load_or_compile(&self, engine: &Engine, sha256: &str, bytes: &[u8]) -> Result<Component, CompileError> {
        assert!(sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()), "cache keys are sha256 hex");
        let name = format!("{sha256}-{}.cwasm", engine_key(engine));
        if let Some(component) = self.mapped(engine, &name) {
            return Ok(component);
        }
        let _one_at_a_time = self.compiling.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Another upload of the same bytes may have compiled it meanwhile.
        if let Some(component) = self.mapped(engine, &name) {
            return Ok(component);
        }
        let artifact = engine.precompile_component(bytes).map_err(|e| {
            return_freed_memory();
            CompileError::Invalid(first_line(&format!("{e:#}")))
        })?;
        // Write then rename, so a crash never leaves half an artifact behind.
        let temp = format!("{name}.{}.tmp", uuid::Uuid::now_v7());
        self.dir.write(&temp, &artifact)?;
        drop(artifact);
        return_freed_memory();
        self.dir.rename(&temp, &self.dir, &name)?;
        self.mapped(engine, &name).ok_or_else(|| {
            CompileError::Cache(std::io::Error::other(format!("artifact {name} unusable right after writing")))
        })
    }
}

/// Gives the compiler's freed working memory back to the system, so one
/// large upload does not leave the host hundreds of MB bigger for good.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory at the top of glibc's
    // heaps and arenas; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn engine_key(engine: &Engine) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid component: a header and nothing else.
    const EMPTY: &[u8] = b"\0asm\x0d\0\x01\0";
    const SHA: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    fn artifacts(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        files
    }

    #[test]
    fn compiles_once_then_maps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = (Engine::default(), ArtifactCache::open(dir.path()).unwrap());
        cache.load_or_compile(&engine, SHA, EMPTY).unwrap();
        let written = artifacts(dir.path());
        assert_eq!(written.len(), 1, "one artifact, no temporary left: {written:?}");
        let before = std::fs::metadata(&written[0]).unwrap().modified().unwrap();
        // Garbage bytes under the same key: served from the file, not compiled.
        cache.load_or_compile(&engine, SHA, b"not even wasm").expect("served from the cache");
        assert_eq!(std::fs::metadata(&written[0]).unwrap().modified().unwrap(), before, "not rewritten");
    }

    #[test]
    fn a_corrupt_artifact_is_replaced_and_bad_bytes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = (Engine::default(), ArtifactCache::open(dir.path()).unwrap());
        cache.load_or_compile(&engine, SHA, EMPTY).unwrap();
        let file = artifacts(dir.path()).remove(0);
        std::fs::write(&file, b"scribbled over").unwrap();
        cache.load_or_compile(&engine, SHA, EMPTY).expect("recompiled");
        assert_ne!(std::fs::read(&file).unwrap(), b"scribbled over");
        let other = "00000000000000000000000000000000000000000000000000000000000000ff";
        assert!(matches!(cache.load_or_compile(&engine, other, b"\0asm garbage"), Err(CompileError::Invalid(_))));
        assert_eq!(artifacts(dir.path()).len(), 1, "nothing stored for a refused component");
    }
}
