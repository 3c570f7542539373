//! Compiled components on disk, keyed by the component's sha256 and the
//! engine's compatibility hash, so a restart (or a second test) does not
//! compile again.

use std::hash::{DefaultHasher, Hash, Hasher};

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

/// The cache directory, opened with cap-std.
pub struct ArtifactCache {
    dir: Dir,
}

impl ArtifactCache {
    /// Uses `dir` for artifacts.
    pub fn new(dir: Dir) -> ArtifactCache {
        ArtifactCache { dir }
    }

    /// Loads the artifact of `sha256` if present and usable, else compiles
    /// `bytes` and stores the artifact. A corrupt or stale artifact is
    /// replaced, never trusted.
    pub fn load_or_compile(&self, engine: &Engine, sha256: &str, bytes: &[u8]) -> Result<Component, CompileError> {
        assert!(sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()), "cache keys are sha256 hex");
        let name = format!("{sha256}-{}.cwasm", engine_key(engine));
        if let Ok(artifact) = self.dir.read(&name) {
            // SAFETY: the file is one this cache wrote with `serialize` for an
            // engine with the same compatibility hash, inside the host's own
            // data directory; `deserialize` still checks its header and
            // version and errors (we then recompile) on a mismatch.
            match unsafe { Component::deserialize(engine, &artifact) } {
                Ok(component) => return Ok(component),
                Err(e) => tracing::warn!("discarding unusable cached artifact {name}: {e:#}"),
            }
        }
        let component =
            Component::new(engine, bytes).map_err(|e| CompileError::Invalid(first_line(&format!("{e:#}"))))?;
        let artifact = component.serialize().map_err(|e| CompileError::Invalid(first_line(&format!("{e:#}"))))?;
        // Write then rename, so a crash never leaves half an artifact behind.
        let temp = format!("{name}.{}.tmp", uuid::Uuid::now_v7());
        self.dir.write(&temp, &artifact)?;
        self.dir.rename(&temp, &self.dir, &name)?;
        Ok(component)
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
