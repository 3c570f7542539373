//! Compiled components on disk, keyed by the component's sha256 and the
//! engine's compatibility hash, so a restart (or a second test) does not
//! compile again.
//!
//! Artifacts are served memory-mapped from their file (`deserialize_file`),
//! so a large (Python, JavaScript) plugin's code is page cache the kernel
//! can share and drop, not tens of MB of the host's own heap. A fresh
//! compile is written out, dropped and mapped back for the same reason, and
//! compiles run one at a time: each holds hundreds of MB while it runs.

use std::collections::HashSet;
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
    /// The component needs more than the instance pool gives one instance
    /// (memories, tables, core instances, initial sizes).
    #[error("{0}")]
    OverLimits(String),
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

    /// The artifact of `sha256` if it is cached and usable, checked by
    /// `accept`; `None` when it must be compiled.
    pub fn load_cached<E>(
        &self,
        engine: &Engine,
        sha256: &str,
        accept: impl Fn(&Component) -> Result<(), E>,
    ) -> Option<Result<Component, E>> {
        let name = format!("{sha256}-{}.cwasm", engine_key(engine));
        self.mapped(engine, &name).map(|component| accept(&component).map(|()| component))
    }

    /// Loads the artifact of `sha256` if present and usable, else compiles
    /// `bytes` and stores the artifact. A corrupt or stale artifact is
    /// replaced, never trusted.
    pub fn load_or_compile<E: From<CompileError>>(
        &self,
        engine: &Engine,
        sha256: &str,
        bytes: &[u8],
        accept: impl Fn(&Component) -> Result<(), E>,
    ) -> Result<Component, E> {
        assert!(sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()), "cache keys are sha256 hex");
        let name = format!("{sha256}-{}.cwasm", engine_key(engine));
        if let Some(component) = self.mapped(engine, &name) {
            accept(&component)?;
            return Ok(component);
        }
        let _one_at_a_time = self.compiling.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Another upload of the same bytes may have compiled it meanwhile.
        if let Some(component) = self.mapped(engine, &name) {
            accept(&component)?;
            return Ok(component);
        }
        // Compiled on an engine of its own, dropped as soon as it is done:
        // wasmtime's compiler keeps its working buffers (a cranelift context
        // per compiling thread, grown to the largest function it has met)
        // for as long as its engine lives, ~90 MB after a Python component.
        let compiler = compiling_engine(engine).map_err(|e| {
            CompileError::Cache(std::io::Error::other(format!("cannot create a compiling engine: {e:#}")))
        })?;
        let compiled = compiler.precompile_component(bytes);
        drop(compiler);
        let artifact = compiled.map_err(|e| {
            return_freed_memory();
            CompileError::Invalid(first_line(&format!("{e:#}")))
        })?;
        // Loading checks the component against the instance pool's caps,
        // which compiling does not; `accept` checks its imports. Both run
        // before anything is written, so a refused upload leaves no artifact.
        // SAFETY: `artifact` was produced just now by this engine.
        let checked = unsafe { Component::deserialize(engine, &artifact) }.map_err(|e| {
            let reason = format!("{e:#}");
            if reason.contains("pooling allocator") {
                CompileError::OverLimits(first_line(&reason))
            } else {
                CompileError::Invalid(first_line(&reason))
            }
        })?;
        accept(&checked)?;
        drop(checked);
        // Write then rename, so a crash never leaves half an artifact behind.
        let temp = format!("{name}.{}.tmp", uuid::Uuid::now_v7());
        write_in_pieces(&self.dir, &temp, &artifact).map_err(CompileError::from)?;
        drop(artifact);
        return_freed_memory();
        self.dir.rename(&temp, &self.dir, &name).map_err(CompileError::from)?;
        Ok(self.mapped(engine, &name).ok_or_else(|| {
            CompileError::Cache(std::io::Error::other(format!("artifact {name} unusable right after writing")))
        })?)
    }
}

impl ArtifactCache {
    /// Removes the artifacts no one will load again: those of another
    /// engine (left by an older wasmtime), temporary files of an interrupted
    /// write, and those of components no stored version keeps (`keep` holds
    /// their sha256s). Only for a cache this host alone uses: another host
    /// sharing it may be writing, or keep versions this one does not know.
    pub fn collect(&self, engine: &Engine, keep: &HashSet<String>) -> std::io::Result<usize> {
        let current = engine_key(engine);
        let mut removed = 0;
        for entry in self.dir.entries()? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let wanted = match name.strip_suffix(".cwasm").and_then(|stem| stem.split_once('-')) {
                Some((sha256, engine)) => engine == current && keep.contains(sha256),
                None => false,
            };
            if !wanted {
                self.dir.remove_file(&name)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Artifacts are written in pieces of this size. The page cache may give a
/// file the folio size of the writes that filled it (ext4 on Linux 6.18
/// does), and a mapped folio counts whole in the host's RSS once any byte of
/// it is read: written in one go, a Python artifact got 2 MiB folios and its
/// first call mapped 17.5 MB of it; in 64 KiB writes, touching one byte per
/// 2 MiB of it maps 1 MiB instead of all 36.
const WRITE_PIECE: usize = 64 << 10;

fn write_in_pieces(dir: &Dir, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = dir.create(name)?;
    for piece in bytes.chunks(WRITE_PIECE) {
        file.write_all(piece)?;
    }
    Ok(())
}

/// An engine that compiles exactly as `engine` does (its configuration,
/// hence the same compatibility hash) but reserves no instance pool, since
/// it never runs anything.
fn compiling_engine(engine: &Engine) -> wasmtime::Result<Engine> {
    let mut config = engine.config().clone();
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::OnDemand);
    Engine::new(&config)
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

    fn accept_all(_: &Component) -> Result<(), CompileError> {
        Ok(())
    }

    fn artifacts(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        files
    }

    #[test]
    fn compiles_once_then_maps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = (Engine::default(), ArtifactCache::open(dir.path()).unwrap());
        cache.load_or_compile(&engine, SHA, EMPTY, accept_all).unwrap();
        let written = artifacts(dir.path());
        assert_eq!(written.len(), 1, "one artifact, no temporary left: {written:?}");
        let before = std::fs::metadata(&written[0]).unwrap().modified().unwrap();
        // Garbage bytes under the same key: served from the file, not compiled.
        cache.load_or_compile(&engine, SHA, b"not even wasm", accept_all).expect("served from the cache");
        assert_eq!(std::fs::metadata(&written[0]).unwrap().modified().unwrap(), before, "not rewritten");
    }

    #[test]
    fn a_cached_artifact_is_had_without_the_components_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = (Engine::default(), ArtifactCache::open(dir.path()).unwrap());
        assert!(cache.load_cached(&engine, SHA, accept_all).is_none(), "nothing cached yet");
        cache.load_or_compile(&engine, SHA, EMPTY, accept_all).unwrap();
        assert!(cache.load_cached(&engine, SHA, accept_all).expect("cached now").is_ok());
        let refused = cache.load_cached(&engine, SHA, |_| Err(CompileError::Invalid("refused".into())));
        assert!(matches!(refused, Some(Err(CompileError::Invalid(_)))), "`accept` still decides");
        // An unusable artifact is no artifact: its bytes must be read and compiled.
        std::fs::write(artifacts(dir.path()).remove(0), b"scribbled over").unwrap();
        assert!(cache.load_cached(&engine, SHA, accept_all).is_none());
    }

    #[test]
    fn a_corrupt_artifact_is_replaced_and_bad_bytes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = (Engine::default(), ArtifactCache::open(dir.path()).unwrap());
        cache.load_or_compile(&engine, SHA, EMPTY, accept_all).unwrap();
        let file = artifacts(dir.path()).remove(0);
        std::fs::write(&file, b"scribbled over").unwrap();
        cache.load_or_compile(&engine, SHA, EMPTY, accept_all).expect("recompiled");
        assert_ne!(std::fs::read(&file).unwrap(), b"scribbled over");
        let other = "00000000000000000000000000000000000000000000000000000000000000ff";
        assert!(matches!(
            cache.load_or_compile(&engine, other, b"\0asm garbage", accept_all),
            Err(CompileError::Invalid(_))
        ));
        assert_eq!(artifacts(dir.path()).len(), 1, "nothing stored for a refused component");
        let refuse = |_: &Component| Err(CompileError::Invalid("imports something ungranted".into()));
        assert!(cache.load_or_compile(&engine, other, EMPTY, refuse).is_err());
        assert_eq!(artifacts(dir.path()).len(), 1, "nothing stored for a component its check refused");
    }

    #[test]
    fn collecting_keeps_only_the_artifacts_of_kept_components_for_this_engine() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, cache) = (Engine::default(), ArtifactCache::open(dir.path()).unwrap());
        cache.load_or_compile(&engine, SHA, EMPTY, accept_all).unwrap();
        let dropped = "00000000000000000000000000000000000000000000000000000000000000dd";
        cache.load_or_compile(&engine, dropped, EMPTY, accept_all).unwrap();
        std::fs::write(dir.path().join(format!("{SHA}-0123456789abcdef.cwasm")), b"old engine").unwrap();
        std::fs::write(dir.path().join(format!("{SHA}-x.cwasm.0190.tmp")), b"half written").unwrap();
        assert_eq!(artifacts(dir.path()).len(), 4);
        let removed = cache.collect(&engine, &HashSet::from([SHA.to_owned()])).unwrap();
        assert_eq!(removed, 3);
        let left = artifacts(dir.path());
        assert_eq!(left, [dir.path().join(format!("{SHA}-{}.cwasm", engine_key(&engine)))]);
    }

    #[test]
    fn a_component_over_the_pools_caps_is_refused_before_it_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::open(dir.path()).unwrap();
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        pool.max_memories_per_component(1).total_memories(4);
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).unwrap();
        let two_memories = component_with_memories(2);
        let refused = cache.load_or_compile(&engine, SHA, &two_memories, accept_all).unwrap_err();
        assert!(
            matches!(&refused, CompileError::OverLimits(reason) if reason.contains("2 Wasm linear memories")),
            "{refused}"
        );
        assert!(artifacts(dir.path()).is_empty());
        cache.load_or_compile(&engine, SHA, &component_with_memories(1), accept_all).expect("one memory fits");
    }

    #[test]
    fn the_compiling_engine_makes_artifacts_the_serving_engine_loads() {
        // The host's engine: pooling, epoch interruption, component model.
        let engine = crate::runtime::engine::build(&crate::config::RuntimeConfig::default()).unwrap();
        let compiler = compiling_engine(&engine).unwrap();
        assert_eq!(engine_key(&compiler), engine_key(&engine), "same compatibility hash, same cache key");
        let artifact = compiler.precompile_component(&component_with_memories(1)).unwrap();
        // SAFETY: `artifact` was just produced by an engine with the same settings.
        unsafe { Component::deserialize(&engine, &artifact) }.expect("the serving engine loads it");
    }

    /// A component that instantiates a one-memory core module `instances` times.
    fn component_with_memories(instances: u32) -> Vec<u8> {
        use wasm_encoder::{Component, InstanceSection, MemorySection, MemoryType, Module, ModuleSection};
        let mut memory = MemorySection::new();
        memory.memory(MemoryType { minimum: 1, maximum: None, memory64: false, shared: false, page_size_log2: None });
        let mut module = Module::new();
        module.section(&memory);
        let mut instances_section = InstanceSection::new();
        for _ in 0..instances {
            instances_section.instantiate(0, Vec::<(&str, wasm_encoder::ModuleArg)>::new());
        }
        let mut component = Component::new();
        component.section(&ModuleSection(&module));
        component.section(&instances_section);
        component.finish()
    }
}
