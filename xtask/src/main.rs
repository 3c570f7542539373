//! Project tasks that need more than one cargo call:
//!
//! - `cargo xtask serve [ARGS]`  build the plugins, then run `onewindow serve`
//!   with the first-party plugins installed (ARGS go to `serve`);
//! - `cargo xtask test [ARGS]`   build the plugins, test fixtures and the
//!   Python and JavaScript examples once, then run the whole test suite on
//!   SQLite and PostgreSQL (ARGS go to `cargo test`);
//! - `cargo xtask build-plugins` build and stage the plugins only;
//! - `cargo xtask build-polyglot` install componentize-py and componentize-js
//!   (pinned, under `target/polyglot/`) if missing, then build and stage the
//!   Python and JavaScript examples (see `polyglot.rs`);
//! - `cargo xtask bench [ARGS]`  build the plugins, then `cargo bench`;
//! - `cargo xtask schemathesis`  build the host and the plugins, start a
//!   host on a fresh data directory and check its API document against it
//!   with Schemathesis (pinned, under `target/schemathesis/`), as an
//!   anonymous caller, a resident and the admin (see `schemathesis.rs`);
//! - `cargo xtask load [ARGS]`   build the plugins and the load harness
//!   (release), then measure the host under HTTP load on SQLite and
//!   PostgreSQL, plugin routes against native twins (see `load.rs`);
//! - `cargo xtask reliability [SCENARIOS]` build the host and the plugins, then kill,
//!   cut and flood a real host and check it keeps every promise (see
//!   `reliability.rs`).
//! - `cargo xtask footprint`    build the release host, the plugins and the
//!   examples, install 20 then 50 plugins over HTTP and report the host's
//!   RSS and its restart-to-serving time (see `footprint.rs`).
//!
//! Plugins are built for `wasm32-wasip2` with the `plugin` profile and staged
//! as `target/plugins/{first-party,fixtures}/<id>/{plugin.toml,plugin.wasm}`;
//! the examples in other languages as `target/plugins/polyglot/<id>/...`.

mod footprint;
mod http;
mod load;
mod polyglot;
mod reliability;
mod schemathesis;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// First-party plugins: (crate name, source directory).
const FIRST_PARTY: &[(&str, &str)] = &[
    ("residence-permit", "plugins/residence-permit"),
    ("lost-id-reissue", "plugins/lost-id-reissue"),
    ("legal-consultation", "plugins/legal-consultation"),
    ("utility-referral", "plugins/utility-referral"),
];
/// Test fixtures: (crate name, source directory).
const FIXTURES: &[(&str, &str)] = &[
    ("misbehaving", "tests/fixtures/misbehaving"),
    ("other-world", "tests/fixtures/other-world"),
    ("linkage-probe", "tests/fixtures/linkage-probe"),
    ("old-world", "tests/fixtures/old-world"),
];
/// Built for wasm too (so it stays a valid component) but not installed:
/// the partner's starter.
const EXAMPLES: &[&str] = &["starter-service"];
const WASM_TARGET: &str = "wasm32-wasip2";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => build_plugins().and_then(|staged| serve(&staged, &args[1..])),
        Some("test") => build_plugins().and_then(|staged| {
            polyglot::build_for_tests()?;
            test(&staged, &args[1..])
        }),
        Some("bench") => build_plugins().and_then(|staged| bench(&staged, &args[1..])),
        Some("schemathesis") => build_plugins().and_then(|staged| schemathesis::check(&staged)),
        Some("load") => build_plugins().and_then(|staged| load::run_load(&staged, &args[1..])),
        Some("reliability") => build_plugins().and_then(|staged| reliability::run_suite(&staged, &args[1..])),
        Some("footprint") => build_plugins().and_then(|staged| footprint::run_footprint(&staged)),
        Some("build-plugins") => build_plugins().map(|staged| println!("plugins staged in {}", staged.display())),
        Some("build-polyglot") => polyglot::build().map(|staged| println!("examples staged in {}", staged.display())),
        _ => {
            Err("usage: cargo xtask <serve|test|bench|build-plugins|build-polyglot|schemathesis|load|reliability|footprint> [ARGS...]"
                .to_owned())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

fn run(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{command:?} failed ({status})")) }
}

/// Installs the wasm target if rustup is there and lacks it (quick and
/// idempotent; these machines do not auto-install targets).
fn ensure_wasm_target() -> Result<(), String> {
    let Ok(output) = Command::new("rustup").args(["target", "list", "--installed"]).output() else {
        return Ok(()); // No rustup: assume the toolchain was set up another way.
    };
    if String::from_utf8_lossy(&output.stdout).lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// Builds every plugin and fixture in one cargo call and stages them.
fn build_plugins() -> Result<PathBuf, String> {
    ensure_wasm_target()?;
    let mut build = cargo();
    build.args(["build", "--profile", "plugin", "--target", WASM_TARGET]);
    for (name, _) in FIRST_PARTY.iter().chain(FIXTURES) {
        build.args(["-p", name]);
    }
    for name in EXAMPLES {
        build.args(["-p", name]);
    }
    run(&mut build)?;
    let built = target_dir().join(WASM_TARGET).join("plugin");
    let staged = target_dir().join("plugins");
    stage(&built, &staged.join("first-party"), FIRST_PARTY)?;
    stage(&built, &staged.join("fixtures"), FIXTURES)?;
    Ok(staged)
}

fn stage(built: &Path, into: &Path, plugins: &[(&str, &str)]) -> Result<(), String> {
    for (name, source) in plugins {
        let dir = into.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let wasm = built.join(format!("{}.wasm", name.replace('-', "_")));
        std::fs::copy(&wasm, dir.join("plugin.wasm")).map_err(|e| format!("{}: {e}", wasm.display()))?;
        // The manifest and, if the plugin describes its routes, api.json.
        for file in ["plugin.toml", "api.json"] {
            let from = root().join(source).join(file);
            if from.exists() {
                std::fs::copy(&from, dir.join(file)).map_err(|e| format!("{}: {e}", from.display()))?;
            }
        }
    }
    Ok(())
}

fn serve(staged: &Path, args: &[String]) -> Result<(), String> {
    let first_party = staged.join("first-party");
    run(cargo().args(["run", "-p", "onewindow", "--", "serve", "--first-party"]).arg(&first_party).args(args))
}

fn test(staged: &Path, args: &[String]) -> Result<(), String> {
    run(cargo().args(["test", "--workspace"]).env("ONEWINDOW_PLUGINS_DIR", staged).args(args))
}

fn bench(staged: &Path, args: &[String]) -> Result<(), String> {
    run(cargo().args(["bench", "-p", "onewindow"]).env("ONEWINDOW_PLUGINS_DIR", staged).args(args))
}
