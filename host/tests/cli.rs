//! The `onewindow` binary as an operator uses it: create an admin, serve,
//! sign in over HTTP, stop with SIGTERM; and clear errors for bad config.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_onewindow");

fn onewindow() -> Command {
    let mut command = Command::new(BIN);
    // Keep the operator's environment from leaking into the test.
    for (key, _) in std::env::vars() {
        if key.starts_with("ONEWINDOW_") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "warn").current_dir(std::env::temp_dir());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_created_on_the_command_line_signs_in_to_the_served_platform() {
    let dir = tempfile::tempdir().unwrap();
    let created = onewindow()
        .args(["admin", "create", "--username", "Root-Admin"])
        .env("ONEWINDOW_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let stdout = String::from_utf8(created.stdout).unwrap();
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the generated password is printed")
        .to_owned();

    let mut weak = onewindow()
        .args(["admin", "create", "--username", "second", "--password-stdin"])
        .env("ONEWINDOW_DATA_DIR", dir.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    weak.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let weak = weak.wait_with_output().unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password must be at least 10 characters"));

    let mut server = onewindow()
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("ONEWINDOW_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let address = loop {
        let line = lines.next().expect("serve prints its address").unwrap();
        if let Some(rest) = line.strip_prefix("Onewindow is serving on http://") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        printed.push(line);
    };
    assert!(!printed.iter().any(|l| l.contains("First start")), "an admin existed, so none is created: {printed:?}");

    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
    let session = http
        .post(format!("http://{address}/api/v1/auth/sign-in"))
        .json(&serde_json::json!({"username": "root-admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);
    let health = http.get(format!("http://{address}/api/v1/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || server.wait()).await.unwrap().unwrap();
    assert!(status.success(), "a SIGTERM is a graceful stop: {status}");
}

#[test]
fn the_first_start_prints_the_admin_login_once() {
    let dir = tempfile::tempdir().unwrap();
    let first_line_with = |needle: &'static str| {
        let mut server = onewindow()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines: Vec<String> = BufReader::new(server.stdout.take().unwrap())
            .lines()
            .map(Result::unwrap)
            .take_while(|l| !l.starts_with("Onewindow is serving"))
            .collect();
        Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
        server.wait().unwrap();
        lines.iter().any(|l| l.contains(needle))
    };
    assert!(first_line_with("password: "), "the first start shows the admin password");
    assert!(!first_line_with("password: "), "later starts do not");
}

#[test]
fn configuration_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = onewindow().args(["serve", "--config", "/nonexistent/onewindow.toml"]).output().unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));

    let file = dir.path().join("onewindow.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\nlisten_port = 80\n").unwrap();
    let unknown = onewindow().args(["serve", "--config"]).arg(&file).output().unwrap();
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("listen_port"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );

    let bad_db = onewindow()
        .args(["serve", "--database", "mysql://localhost/x", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!bad_db.status.success());
    assert!(String::from_utf8_lossy(&bad_db.stderr).contains("unsupported database URL"));
}

/// Runs the CLI with a home for its saved login; returns (success, stdout, stderr).
fn cli(home: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = onewindow()
        .args(args)
        .env("ONEWINDOW_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The `misbehaving` test plugin, staged by `cargo xtask`, at `version`.
fn fixture_dir(into: &std::path::Path, version: &str) -> std::path::PathBuf {
    let staged = std::env::var_os("ONEWINDOW_PLUGINS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"))
        .join("fixtures/misbehaving");
    assert!(staged.join("plugin.wasm").exists(), "run the tests with `cargo xtask test` (it builds the plugins)");
    let dir = into.join(version);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(staged.join("plugin.wasm"), dir.join("plugin.wasm")).unwrap();
    let manifest = std::fs::read_to_string(staged.join("plugin.toml"))
        .unwrap()
        .replace("version = \"0.1.0\"", &format!("version = \"{version}\""));
    std::fs::write(dir.join("plugin.toml"), manifest).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_and_admins_govern_plugins_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (admin_home, partner_home) = (dir.path().join("admin-home"), dir.path().join("partner-home"));
    let mut server = onewindow()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut password = String::new();
    let address = loop {
        let line = lines.next().expect("serve prints its address").unwrap();
        if let Some(p) = line.trim().strip_prefix("password: ") {
            password = p.to_owned();
        }
        if let Some(rest) = line.strip_prefix("Onewindow is serving on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let status = |path: &str| {
        let request = http.get(format!("{address}/api/v1/services/misbehaving{path}"));
        async move { request.send().await.unwrap().status().as_u16() }
    };

    let (ok, out, err) =
        cli(&admin_home, &["login", "--url", &address, "--username", "admin"], &format!("{password}\n"));
    assert!(ok, "{err}");
    assert!(out.contains("signed in") && out.contains("admin"), "{out}");
    let (ok, out, _) = cli(&admin_home, &["unit", "list"], "");
    assert!(ok && out.contains("partner-water"), "{out}");
    let (ok, out, err) = cli(
        &admin_home,
        &[
            "staff",
            "create",
            "--username",
            "dev",
            "--display-name",
            "Dev",
            "--unit",
            "partner-water",
            "--password-stdin",
        ],
        "developer pw 1\n",
    );
    assert!(ok && out.contains("created staff dev of partner-water"), "{out}{err}");

    // The partner uploads; the plugin waits for review.
    assert!(cli(&partner_home, &["login", "--url", &address, "--username", "dev"], "developer pw 1\n").0);
    let (ok, out, err) =
        cli(&partner_home, &["plugin", "upload", fixture_dir(dir.path(), "0.1.0").to_str().unwrap()], "");
    assert!(ok && out.contains("misbehaving 0.1.0  pending"), "{out}{err}");
    assert_eq!(status("/noop").await, 404);
    let (ok, _, err) = cli(&partner_home, &["plugin", "approve", "misbehaving", "0.1.0"], "");
    assert!(!ok && err.contains("Forbidden (403)"), "partners cannot approve: {err}");
    let garbage = dir.path().join("garbage");
    std::fs::create_dir_all(&garbage).unwrap();
    std::fs::write(
        garbage.join("plugin.toml"),
        std::fs::read(fixture_dir(dir.path(), "0.2.0").join("plugin.toml")).unwrap(),
    )
    .unwrap();
    std::fs::write(garbage.join("plugin.wasm"), b"garbage").unwrap();
    let (ok, _, err) = cli(&partner_home, &["plugin", "upload", garbage.to_str().unwrap()], "");
    assert!(!ok && err.contains("Not WebAssembly (422)") && err.contains("request id"), "{err}");

    // The admin reviews and approves part of it, with a lower deadline.
    let (ok, out, _) = cli(&admin_home, &["plugin", "reviews"], "");
    assert!(ok && out.contains("+ new capability `data` (notes)"), "{out}");
    let (ok, out, err) =
        cli(&admin_home, &["plugin", "approve", "misbehaving", "0.1.0", "--grant", "log", "--timeout-ms", "100"], "");
    assert!(ok && out.contains("misbehaving 0.1.0  active") && err.contains("approving sha256"), "{out}{err}");
    assert_eq!(status("/noop").await, 204);
    assert_eq!(
        http.post(format!("{address}/api/v1/services/misbehaving/notes")).send().await.unwrap().status(),
        500,
        "the ungranted table is the plugin's fault: a generic 500"
    );

    // Version 2 (uploaded as files named directly, with its routes
    // described), approved in full; rollback; suspend; resume.
    let v2 = fixture_dir(dir.path(), "0.2.0");
    let api = dir.path().join("misbehaving-api.json");
    std::fs::write(&api, r#"{"paths": {"/noop": {"get": {"summary": "Does nothing"}}}}"#).unwrap();
    let (manifest, component) = (v2.join("plugin.toml"), v2.join("plugin.wasm"));
    let files = [component.to_str().unwrap(), manifest.to_str().unwrap(), api.to_str().unwrap()];
    let (ok, out, err) = cli(&partner_home, &["plugin", "upload", files[0], files[1], files[2]], "");
    assert!(ok && out.contains("misbehaving 0.2.0"), "{out}{err}");
    assert!(cli(&admin_home, &["plugin", "approve", "misbehaving", "0.2.0"], "").0);
    assert_eq!(http.post(format!("{address}/api/v1/services/misbehaving/notes")).send().await.unwrap().status(), 201);
    let (ok, out, _) = cli(&admin_home, &["plugin", "rollback", "misbehaving", "0.1.0"], "");
    assert!(ok && out.contains("0.1.0  active"), "{out}");
    // The unit frees its quota of the version it no longer needs, once.
    let (ok, out, err) = cli(&partner_home, &["plugin", "remove", "misbehaving", "0.2.0"], "");
    assert!(ok && out.contains("removed the component of misbehaving 0.2.0 (was superseded)"), "{out}{err}");
    let (ok, _, err) = cli(&partner_home, &["plugin", "remove", "misbehaving", "0.1.0"], "");
    assert!(!ok && err.contains("(409)") && err.contains("active"), "the active version stays: {err}");
    assert!(cli(&admin_home, &["plugin", "suspend", "misbehaving", "--reason", "checking"], "").0);
    assert_eq!(status("/noop").await, 503);
    assert!(cli(&admin_home, &["plugin", "resume", "misbehaving"], "").0);
    assert_eq!(status("/noop").await, 204);
    let (ok, out, _) = cli(&partner_home, &["plugin", "show", "misbehaving", "--json"], "");
    let shown: serde_json::Value = serde_json::from_str(&out).expect("--json prints JSON");
    assert!(ok);
    assert_eq!(shown["plugin"]["active_version"], "0.1.0");

    // The trail verifies, and stops verifying when a row is altered.
    let (ok, out, _) = cli(&admin_home, &["audit", "verify"], "");
    assert!(ok && out.contains("audit trail intact"), "{out}");
    let (ok, out, _) = cli(&admin_home, &["audit", "list", "--action", "plugin.approve"], "");
    assert!(ok && out.lines().count() == 2, "{out}");
    let url = format!("sqlite://{}?mode=rw", dir.path().join("data/onewindow.db").display());
    let store = onewindow::store::Store::connect(&url, 1).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3").execute(store.pool()).await.unwrap();
    store.close().await;
    let (ok, _, err) = cli(&admin_home, &["audit", "verify"], "");
    assert!(!ok && err.contains("audit trail broken at entry 3"), "{err}");

    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    tokio::task::spawn_blocking(move || server.wait()).await.unwrap().unwrap();
}

#[test]
fn plugin_check_reports_every_fault_at_once_without_a_platform() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture_dir(dir.path(), "0.1.0");
    let (ok, out, err) = cli(dir.path(), &["plugin", "check", good.to_str().unwrap()], "");
    assert!(ok, "{out}{err}");
    assert!(out.contains("misbehaving 0.1.0") && out.contains("the upload would be accepted"), "{out}");

    // The files named directly, with a route description that is not one.
    let api = dir.path().join("api.json");
    std::fs::write(&api, "{}").unwrap();
    let files = [good.join("plugin.toml"), good.join("plugin.wasm"), api];
    let args: Vec<&str> = ["plugin", "check"].into_iter().chain(files.iter().map(|p| p.to_str().unwrap())).collect();
    let (ok, out, err) = cli(dir.path(), &args, "");
    assert!(!ok && err.contains("api.json: paths: is required") && err.contains("1 fault(s)"), "{out}{err}");

    // A manifest wrong in four places and a component that is not one.
    let manifest = std::fs::read_to_string(good.join("plugin.toml"))
        .unwrap()
        .replace("id = \"misbehaving\"", "id = \"Not An Id\"")
        .replace("version = \"0.1.0\"", "version = \"one\"")
        .replace("service@0.1.0", "service@0.9.0")
        .replace("memory-mb = 16", "memory-mb = 0");
    std::fs::write(good.join("plugin.toml"), manifest).unwrap();
    std::fs::write(good.join("plugin.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let (ok, _, err) = cli(dir.path(), &["plugin", "check", good.to_str().unwrap()], "");
    assert!(!ok, "a broken plugin fails the check");
    for field in ["plugin.toml: id:", "plugin.toml: version:", "plugin.toml: world:", "plugin.toml: limits.memory-mb:"]
    {
        assert!(err.contains(field), "{field} missing from: {err}");
    }
    assert!(err.contains("plugin.wasm: this is a core WebAssembly module"), "{err}");
    assert!(err.contains("5 fault(s)"), "{err}");
}

/// Ends a child process when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_serves_one_plugin_with_signed_in_test_callers() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = fixture_dir(dir.path(), "0.1.0");
    let mut child = KillOnDrop(
        onewindow()
            .args(["dev", plugin.to_str().unwrap(), "--listen", "127.0.0.1:0", "--unit", "partner-water"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait for what it prints (its address and the two tokens), line by line.
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let (mut base, mut resident, mut staff) = (None, None, None);
    while resident.is_none() || staff.is_none() || base.is_none() {
        let line = lines.next().expect("`onewindow dev` printed its tokens before exiting").unwrap();
        if let Some(rest) = line.split("is serving at ").nth(1) {
            base = Some(rest.split("/...").next().unwrap().to_owned());
        }
        if let Some(token) = line.trim().strip_prefix("RESIDENT=") {
            resident = Some(token.to_owned());
        }
        if let Some(token) = line.trim().strip_prefix("STAFF=") {
            staff = Some(token.split_whitespace().next().unwrap().to_owned());
        }
    }
    let (base, resident, staff) = (base.unwrap(), resident.unwrap(), staff.unwrap());
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let whoami = |token: String| {
        let (http, url) = (http.clone(), format!("{base}/whoami"));
        async move { http.get(url).bearer_auth(token).send().await.unwrap().text().await.unwrap() }
    };
    assert!(whoami(resident).await.contains("|resident||dev-resident"), "the resident is signed in");
    assert!(
        whoami(staff).await.contains("|staff|partner-water|dev-staff"),
        "the staff member too, of the unit asked for"
    );
    let created = http.post(format!("{base}/notes?body=hello")).send().await.unwrap();
    assert_eq!(created.status(), 201, "it is installed with everything it asks for");
}

/// Serves a fresh platform (no plugins) with its data in `data`; returns
/// the server, its base URL and the first admin's password.
fn serve_fresh(data: &std::path::Path) -> (KillOnDrop, String, String) {
    let mut server = KillOnDrop(
        onewindow()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let mut password = String::new();
    loop {
        let line = lines.next().expect("serve prints its address").unwrap();
        if let Some(p) = line.trim().strip_prefix("password: ") {
            password = p.to_owned();
        }
        if let Some(rest) = line.strip_prefix("Onewindow is serving on ") {
            let address = rest.split_whitespace().next().unwrap().to_owned();
            return (server, address, password);
        }
    }
}

/// Runs the CLI with its standard output a pipe nobody reads any more, as
/// in `onewindow ... | head -1` once `head` has its line; returns (exit
/// status, stderr).
fn cli_into_closed_pipe(home: &std::path::Path, args: &[&str]) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = onewindow().args(args).env("ONEWINDOW_HOME", home).stdout(writer).output().unwrap();
    (output.status, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (status, err) = cli_into_closed_pipe(dir.path(), &["records", "new-key", "--data-dir", data]);
    assert!(status.success() && err.is_empty(), "{status}: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_their_unit_and_what_their_plugin_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (admin_home, partner_home) = (dir.path().join("admin-home"), dir.path().join("partner-home"));
    let (_server, address, password) = serve_fresh(&dir.path().join("data"));
    assert!(cli(&admin_home, &["login", "--url", &address, "--username", "admin"], &format!("{password}\n")).0);
    let create = ["staff", "create", "--username", "dev", "--display-name", "Dev", "--unit", "partner-water"];
    assert!(cli(&admin_home, &[&create[..], &["--password-stdin"]].concat(), "developer pw 1\n").0);
    assert!(cli(&partner_home, &["login", "--url", &address, "--username", "dev"], "developer pw 1\n").0);

    // Staff learn their unit's id, and see no other unit; the admin sees them all.
    let (ok, out, err) = cli(&partner_home, &["me"], "");
    assert!(ok && out.contains("dev (Dev), staff") && out.contains("unit: partner-water (partner)"), "{out}{err}");
    let (ok, out, err) = cli(&partner_home, &["unit", "list"], "");
    assert!(ok && out.lines().count() == 1 && out.starts_with("partner-water  partner"), "{out}{err}");
    let (ok, out, _) = cli(&admin_home, &["unit", "list"], "");
    assert!(ok && out.contains("police-central") && out.contains("partner-water"), "{out}");
    let (ok, out, _) = cli(&admin_home, &["me"], "");
    assert!(ok && out.contains("admin") && out.contains("unit: (none)"), "{out}");

    // `plugin show` lists the limits asked for, and those granted.
    let (ok, _, err) =
        cli(&partner_home, &["plugin", "upload", fixture_dir(dir.path(), "0.1.0").to_str().unwrap()], "");
    assert!(ok, "{err}");
    let (ok, out, err) = cli(&partner_home, &["plugin", "show", "misbehaving"], "");
    let asked = "requested: data:notes log  limits memory 16 MiB, deadline 300 ms, concurrency 4";
    assert!(ok && out.contains(asked) && !out.contains("granted:"), "{out}{err}");
    assert!(cli(&admin_home, &["plugin", "approve", "misbehaving", "0.1.0", "--timeout-ms", "100"], "").0);
    let (ok, out, err) = cli(&partner_home, &["plugin", "show", "misbehaving"], "");
    assert!(ok && out.contains("granted:   data:notes log  limits memory 16 MiB, deadline 100 ms"), "{out}{err}");

    // An empty listing says so (and is still an empty list in JSON).
    let (ok, out, _) = cli(&admin_home, &["audit", "list", "--target", "unit:nowhere*"], "");
    assert!(ok && out.trim() == "no entries", "{out}");
    let (ok, out, _) = cli(&admin_home, &["audit", "list", "--target", "unit:nowhere*", "--json"], "");
    assert!(ok && out.trim() == "[]", "{out}");

    // Piped into `head -1`: the rest of a long listing goes nowhere, quietly.
    let (status, err) = cli_into_closed_pipe(&admin_home, &["audit", "list"]);
    assert!(status.success() && err.is_empty(), "{status}: {err}");
}
