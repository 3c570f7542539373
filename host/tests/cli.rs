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
