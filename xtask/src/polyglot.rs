//! `cargo xtask build-polyglot`: the example services written in Python and
//! JavaScript (`examples/`), built with their languages' own toolchains.
//!
//! The tools are installed, at pinned versions, under
//! `$CARGO_TARGET_DIR/polyglot/` (a Python venv with componentize-py; an
//! `npm ci` of `examples/js-service/package-lock.json`), so nothing outside
//! the target directory changes and a second run reuses them. A component is
//! rebuilt only when its sources, the WIT or its tool are newer than the
//! staged one. The two languages build side by side (each toolchain is
//! mostly one core for most of its run).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use super::{root, run, target_dir};

/// componentize-py, from PyPI. (componentize-js is pinned by
/// `examples/js-service/package-lock.json`.)
const COMPONENTIZE_PY: &str = "0.25.1";

/// The toolchains the examples are written for.
#[derive(Clone, Copy)]
enum Language {
    Python,
    JavaScript,
}

/// The examples: (plugin id, source directory, language).
const EXAMPLES: &[(&str, &str, Language)] = &[
    ("python-example", "examples/python-service", Language::Python),
    ("js-example", "examples/js-service", Language::JavaScript),
];

/// Builds and stages every example; answers the staging directory,
/// `target/plugins/polyglot`.
pub fn build() -> Result<PathBuf, String> {
    let contract = contract_version()?;
    for (_, source, _) in EXAMPLES {
        check_contract_version(&root().join(source), &contract)?;
    }
    let work = target_dir().join("polyglot");
    let staged = target_dir().join("plugins").join("polyglot");
    std::thread::scope(|scope| {
        let jobs: Vec<_> = EXAMPLES.iter().map(|example| scope.spawn(|| build_one(example, &work, &staged))).collect();
        // Wait for both before answering, so one failure does not leave the
        // other toolchain running unseen.
        let results: Vec<_> = jobs.into_iter().map(|job| job.join().expect("a build thread panicked")).collect();
        results.into_iter().collect::<Result<Vec<()>, String>>()
    })?;
    Ok(staged)
}

/// What `cargo xtask test` runs before the tests. A failure is fatal where
/// the examples' tests must run (`ONEWINDOW_POLYGLOT_REQUIRED` or `CI` set);
/// elsewhere (a machine without Python or Node.js, say) it is a warning and
/// those tests skip.
pub fn build_for_tests() -> Result<(), String> {
    match build() {
        Ok(_) => Ok(()),
        Err(message) if required() => Err(message),
        Err(message) => {
            eprintln!("xtask: the Python and JavaScript examples are not built ({message}); their tests will skip");
            Ok(())
        }
    }
}

fn required() -> bool {
    std::env::var_os("ONEWINDOW_POLYGLOT_REQUIRED").is_some() || std::env::var_os("CI").is_some()
}

/// Installs the example's tool if needed, builds it unless it is up to
/// date, and stages `plugin.toml` and `plugin.wasm`.
fn build_one(&(id, source, language): &(&str, &str, Language), work: &Path, staged: &Path) -> Result<(), String> {
    let source = root().join(source);
    let into = staged.join(id);
    let wasm = into.join("plugin.wasm");
    let started = Instant::now();
    let (tool, tool_stamp) = match language {
        Language::Python => install_componentize_py(&work.join("venv"))?,
        Language::JavaScript => install_componentize_js(&source, &work.join("node"))?,
    };
    let tools_took = started.elapsed();

    let inputs = [source.as_path(), &root().join("wit"), &tool_stamp];
    if modified(&wasm).is_some_and(|built| newest(&inputs).is_some_and(|input| input < built)) {
        println!("polyglot: {id}: {tool} ready in {:.1} s; up to date", tools_took.as_secs_f64());
        return Ok(());
    }
    let started = Instant::now();
    let built = work.join("build").join(format!("{id}.wasm"));
    create_dir(built.parent().expect("a file in a directory"))?;
    match language {
        Language::Python => run(Command::new(work.join("venv/bin/componentize-py"))
            .current_dir(&source)
            .args(["--quiet", "-d"])
            .arg(root().join("wit"))
            .args(["-w", "service", "componentize", "app", "-p", "."])
            .arg("-o")
            .arg(&built))?,
        Language::JavaScript => run(Command::new(work.join("node/node_modules/.bin/componentize-js"))
            .current_dir(&source)
            .args(["service.js", "--wit"])
            .arg(root().join("wit"))
            .args(["--world-name", "service", "--disable", "http", "fetch-event", "-o"])
            .arg(&built))?,
    }
    let build_took = started.elapsed();

    create_dir(&into)?;
    copy(&built, &wasm)?;
    copy(&source.join("plugin.toml"), &into.join("plugin.toml"))?;
    let size = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or_default();
    println!(
        "polyglot: {id}: {tool} ready in {:.1} s; built in {:.1} s ({size} bytes)",
        tools_took.as_secs_f64(),
        build_took.as_secs_f64()
    );
    Ok(())
}

/// A venv with componentize-py at the pinned version; answers the tool's
/// name and a file whose time says when it was installed.
fn install_componentize_py(venv: &Path) -> Result<(String, PathBuf), String> {
    let tool = pip_install_pinned(venv, "componentize-py", COMPONENTIZE_PY)?;
    Ok((format!("componentize-py {COMPONENTIZE_PY}"), tool))
}

/// A venv with the Python tool `package` at `version` (installed from PyPI
/// unless its `--version` already names that version); answers the tool.
pub fn pip_install_pinned(venv: &Path, package: &str, version: &str) -> Result<PathBuf, String> {
    let tool = venv.join("bin").join(package);
    let installed = Command::new(&tool).arg("--version").output().ok();
    let current = |out: &std::process::Output| {
        String::from_utf8_lossy(&out.stdout).split_whitespace().any(|word| word.trim_start_matches('v') == version)
    };
    if !installed.is_some_and(|out| current(&out)) {
        if !venv.join("bin/python").exists() {
            run(Command::new("python3").args(["-m", "venv"]).arg(venv))
                .map_err(|e| format!("{e} ({package} needs Python 3.9 or newer as `python3`)"))?;
        }
        run(Command::new(venv.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("{package}=={version}"),
        ]))?;
    }
    Ok(tool)
}

/// `npm ci` of the example's committed lock into `node`, unless that lock
/// is installed there already; answers the tool's name and a file whose
/// time says when it was installed.
fn install_componentize_js(source: &Path, node: &Path) -> Result<(String, PathBuf), String> {
    let lock = std::fs::read(source.join("package-lock.json")).map_err(|e| format!("{}: {e}", source.display()))?;
    let tool = node.join("node_modules/.bin/componentize-js");
    let stamp = node.join("node_modules/.package-lock.json");
    let current = std::fs::read(node.join("package-lock.json")).is_ok_and(|installed| installed == lock);
    if !(current && tool.exists() && stamp.exists()) {
        create_dir(node)?;
        copy(&source.join("package.json"), &node.join("package.json"))?;
        copy(&source.join("package-lock.json"), &node.join("package-lock.json"))?;
        run(Command::new("npm").current_dir(node).args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]))
            .map_err(|e| format!("{e} (componentize-js needs Node.js 20 or newer with npm)"))?;
    }
    let version = std::fs::read_to_string(node.join("node_modules/@bytecodealliance/componentize-js/package.json"))
        .ok()
        .and_then(|text| {
            text.split("\"version\": \"").nth(1).and_then(|rest| rest.split('"').next()).map(str::to_owned)
        })
        .unwrap_or_else(|| "(unknown version)".into());
    Ok((format!("componentize-js {version}"), stamp))
}

/// The version of the WIT package in `wit/` (`package onewindow:platform@X;`).
fn contract_version() -> Result<String, String> {
    let path = root().join("wit/platform.wit");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .find_map(|line| line.trim().strip_prefix("package onewindow:platform@"))
        .map(|rest| rest.trim_end_matches(';').trim().to_owned())
        .ok_or_else(|| format!("{}: no `package onewindow:platform@…` line", path.display()))
}

/// Python and JavaScript components import every interface of the world at
/// the version of the WIT they are built from, so an example's manifest
/// (`world = …`) and its import specifiers must name that version: say so
/// plainly rather than let a toolchain fail on an unknown import.
fn check_contract_version(source: &Path, contract: &str) -> Result<(), String> {
    let files = std::fs::read_dir(source).map_err(|e| format!("{}: {e}", source.display()))?;
    for file in files.filter_map(Result::ok).map(|entry| entry.path()) {
        let is_source = file.extension().is_some_and(|ext| ext == "toml" || ext == "js" || ext == "py");
        let Some(text) = is_source.then(|| std::fs::read_to_string(&file).ok()).flatten() else { continue };
        for (at, _) in text.match_indices("onewindow:platform/") {
            // `onewindow:platform/data@0.1.2`, up to a quote or a space.
            let rest = &text[at..];
            let reference = &rest[..rest.find(|c: char| c.is_whitespace() || "\"';".contains(c)).unwrap_or(rest.len())];
            let Some((_, version)) = reference.split_once('@') else { continue };
            if version != contract {
                return Err(format!(
                    "{} names onewindow:platform@{version}, but wit/ is {contract}: an example is built from wit/ \
                     and imports every interface at its version, so write {contract} there",
                    file.display()
                ));
            }
        }
    }
    Ok(())
}

/// The newest modification time of the files under `paths` (skipping
/// `node_modules` and `__pycache__`); `None` if one of them is missing.
fn newest(paths: &[&Path]) -> Option<SystemTime> {
    let mut newest = None;
    let mut pending: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    while let Some(path) = pending.pop() {
        let skip = path.file_name().is_some_and(|name| name == "node_modules" || name == "__pycache__");
        match std::fs::read_dir(&path) {
            Ok(entries) if !skip => pending.extend(entries.filter_map(Result::ok).map(|entry| entry.path())),
            Ok(_) => {}
            Err(_) => newest = newest.max(Some(modified(&path)?)),
        }
    }
    newest
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to).map(drop).map_err(|e| format!("{} → {}: {e}", from.display(), to.display()))
}
