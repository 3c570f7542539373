//! Checks an uploaded component before anything is stored: is it a
//! component at all, does it import only platform interfaces (and the WASI
//! basics Rust's std needs), of a supported version, and does it export the
//! `service` world's `handle`.

use wasmtime::Engine;
use wasmtime::component::Component;

use super::manifest::{PLATFORM_PACKAGE, is_supported_world_version, supported_world_versions};

/// Why a component was refused. Each names exactly what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("the component is {size} bytes; the limit is {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("not a WebAssembly binary (no `\\0asm` header)")]
    NotWasm,
    #[error(
        "this is a core WebAssembly module, not a component; build for wasm32-wasip2 (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule,
    #[error("not a valid WebAssembly component: {0}")]
    InvalidComponent(String),
    #[error(
        "imports `{0}`, which a plugin may not import. Allowed: onewindow:platform/{{types, data, log, records, cases, notify, plugin-info}} and {allowed}. \
         The usual cause is a library that reaches the network or the file system (wasi:http, wasi:filesystem beyond types/preopens) — \
         drop that dependency, or build without the feature that pulls it in",
        allowed = ALLOWED_WASI.iter().map(|p| format!("{p}*")).collect::<Vec<_>>().join(", ")
    )]
    ForbiddenImport(String),
    #[error(
        "exports `handle` as an async function; the platform calls plugins synchronously. Build without async exports \
         (componentize-js: no --enable-async / jspi; wit-bindgen: no `async` on the export)"
    )]
    AsyncExport,
    #[error("imports `{import}` of version {found}; this host supports {supported}")]
    UnsupportedVersion { import: String, found: String, supported: String },
    #[error(
        "needs more than one instance may have on this platform: {0}. Each instance may have at most {memories} linear memories, \
         {tables} tables and {instances} core module instances, and start within the memory limit",
        memories = crate::runtime::engine::MAX_MEMORIES_PER_INSTANCE,
        tables = crate::runtime::engine::MAX_TABLES_PER_INSTANCE,
        instances = crate::runtime::engine::MAX_CORE_INSTANCES_PER_INSTANCE
    )]
    OverPoolLimits(String),
    #[error("does not implement the onewindow:platform/service world: {0}")]
    WrongWorld(String),
}

/// The WASI interfaces a plugin may import. Rust's std imports several of
/// them even when unused; the host links them with an empty context.
const ALLOWED_WASI: &[&str] = &[
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    // Python's and JavaScript's runtimes import sockets through their
    // standard libraries; they link to a context that denies every address
    // and every name lookup, so any use fails. `wasi:http` stays refused.
    "wasi:sockets/",
];

/// Cheap checks on the raw bytes, before compiling anything; `max` is the
/// platform's largest component, in bytes.
pub fn check_bytes(bytes: &[u8], max: usize) -> Result<(), ValidationError> {
    if bytes.len() > max {
        return Err(ValidationError::TooLarge { size: bytes.len(), max });
    }
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(ValidationError::NotWasm);
    }
    // Bytes 4..8 are the version and layer: 1, 0 for a core module.
    if bytes[4..8] == [1, 0, 0, 0] {
        return Err(ValidationError::CoreModule);
    }
    Ok(())
}

/// Checks every import of `component` against the allowed set; the first
/// fault is the error.
pub fn check_imports(engine: &Engine, component: &Component) -> Result<(), ValidationError> {
    match import_faults(engine, component).into_iter().next() {
        Some(fault) => Err(fault),
        None => Ok(()),
    }
}

/// Every import of `component` outside the allowed set, in order.
pub fn import_faults(engine: &Engine, component: &Component) -> Vec<ValidationError> {
    let names: Vec<String> = component.component_type().imports(engine).map(|(name, _)| name.to_owned()).collect();
    name_faults(&names)
}

/// What parsing (not compiling) a component tells about its surface.
#[derive(Debug, Default)]
pub struct Surface {
    /// Top-level interface imports (`ns:pkg/iface@version`).
    pub imports: Vec<String>,
    /// Top-level export names.
    pub exports: Vec<String>,
    /// Some function is lifted with the `async` option.
    pub async_lift: bool,
}

/// A component's top-level import and export names, read by parsing it:
/// milliseconds, where compiling a large (Python, JavaScript) component
/// takes many seconds. Refusals by name need no compile at all.
pub fn surface(bytes: &[u8]) -> Result<Surface, ValidationError> {
    use wasmparser::{CanonicalFunction, CanonicalOption, Encoding, Parser, Payload};
    let (mut imports, mut exports, mut depth, mut async_lift) = (Vec::new(), Vec::new(), 0u32, false);
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| ValidationError::InvalidComponent(e.to_string()))?;
        match payload {
            Payload::ComponentCanonicalSection(reader) => {
                for function in reader {
                    let function = function.map_err(|e| ValidationError::InvalidComponent(e.to_string()))?;
                    if let CanonicalFunction::Lift { options, .. } = function {
                        async_lift |= options.iter().any(|o| matches!(o, CanonicalOption::Async));
                    }
                }
            }
            Payload::Version { encoding: Encoding::Component | Encoding::Module, .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    let import = import.map_err(|e| ValidationError::InvalidComponent(e.to_string()))?;
                    // Interfaces (`ns:pkg/iface`); plain names are the
                    // world's own types, which linking checks.
                    if import.name.name.contains(':') {
                        imports.push(import.name.name.to_owned());
                    }
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    let export = export.map_err(|e| ValidationError::InvalidComponent(e.to_string()))?;
                    exports.push(export.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(Surface { imports, exports, async_lift })
}

/// What an upload's import and export names alone already refuse: every
/// import outside the allowed set, and a missing `handle` export.
pub fn surface_faults(bytes: &[u8]) -> Vec<ValidationError> {
    match surface(bytes) {
        Err(fault) => vec![fault],
        Ok(Surface { imports, exports, async_lift }) => {
            let mut faults = name_faults(&imports);
            if !exports.iter().any(|e| e == "handle") {
                faults.push(ValidationError::WrongWorld("no export `handle` found".into()));
            } else if async_lift {
                faults.push(ValidationError::AsyncExport);
            }
            faults
        }
    }
}

/// The faults among import names.
fn name_faults(names: &[String]) -> Vec<ValidationError> {
    let mut faults = Vec::new();
    for name in names {
        let name = name.as_str();
        let (interface, version) = name.split_once('@').unwrap_or((name, ""));
        if let Some(rest) = interface.strip_prefix(PLATFORM_PACKAGE).and_then(|r| r.strip_prefix('/')) {
            let known = matches!(rest, "types" | "data" | "log" | "records" | "cases" | "notify" | "plugin-info");
            if !known {
                faults.push(ValidationError::ForbiddenImport(name.to_owned()));
                continue;
            }
            let supported = semver::Version::parse(version).is_ok_and(|v| is_supported_world_version(&v));
            if !supported {
                faults.push(ValidationError::UnsupportedVersion {
                    import: interface.to_owned(),
                    found: if version.is_empty() { "(none)".into() } else { version.to_owned() },
                    supported: supported_world_versions(),
                });
            }
        } else if !ALLOWED_WASI.iter().any(|allowed| interface.starts_with(allowed)) {
            faults.push(ValidationError::ForbiddenImport(name.to_owned()));
        }
    }
    faults
}

/// The first line of an error text (wasmtime appends backtraces).
pub(crate) fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_names_are_judged_without_compiling() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let allowed = names(&[
            "wasi:sockets/network@0.2.0",
            "wasi:sockets/tcp@0.2.0",
            "wasi:cli/stdout@0.2.0",
            "onewindow:platform/data@0.1.0",
            "onewindow:platform/records@0.1.1",
        ]);
        assert_eq!(name_faults(&allowed), []);
        let refused = names(&[
            "wasi:http/outgoing-handler@0.2.0",
            "onewindow:platform/teleport@0.1.1",
            "onewindow:platform/data@0.2.0",
            "wasi:cli/environment@0.2.0",
        ]);
        let faults = name_faults(&refused);
        assert_eq!(faults.len(), 3, "every fault, not just the first: {faults:?}");
        assert!(matches!(&faults[0], ValidationError::ForbiddenImport(n) if n.starts_with("wasi:http")));
        assert!(matches!(&faults[1], ValidationError::ForbiddenImport(n) if n.contains("teleport")));
        assert!(matches!(&faults[2], ValidationError::UnsupportedVersion { found, .. } if found == "0.2.0"));
        assert_eq!(surface_faults(b"not wasm at all").len(), 1, "unparseable bytes are one fault");
    }

    #[test]
    fn refuses_garbage_core_modules_and_oversized_uploads_before_compiling() {
        let max = 1 << 20;
        assert_eq!(check_bytes(b"hello world, not wasm", max), Err(ValidationError::NotWasm));
        assert_eq!(check_bytes(b"\0asm\x01\0\0\0", max), Err(ValidationError::CoreModule));
        assert_eq!(check_bytes(b"\0asm\x0d\0\x01\0", max), Ok(()));
        let huge = vec![0u8; max + 1];
        assert_eq!(check_bytes(&huge, max), Err(ValidationError::TooLarge { size: max + 1, max }));
    }
}
