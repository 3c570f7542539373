//! `cargo xtask schemathesis`: checks the served API document against the
//! host itself with [Schemathesis](https://schemathesis.readthedocs.io)
//! (every check: status codes, content types, schemas, that schema-valid
//! requests are accepted and invalid ones refused).
//!
//! Builds the host and the plugins, starts `onewindow serve` on a fresh data
//! directory under `target/schemathesis/` with the first-party plugins,
//! signs in the first admin and registers a resident, then runs Schemathesis
//! (pinned, in a venv under `target/schemathesis/`) as an anonymous caller,
//! as the resident and as the admin. Any failure fails the task.
//!
//! `ONEWINDOW_SCHEMATHESIS_EXAMPLES` (default 10, per operation and phase)
//! and `ONEWINDOW_SCHEMATHESIS_SECONDS` (default 60, per caller) bound a run.
//! Operations whose refusals of schema-valid requests depend on state no
//! schema can express are listed in `xtask/schemathesis.toml`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{cargo, polyglot, root, run, target_dir};

/// Schemathesis, from PyPI.
const SCHEMATHESIS: &str = "4.32.5";

/// The resident the runs act as (registered on the fresh host).
const RESIDENT: (&str, &str) = ("schemathesis-resident", "schemathesis resident password");

pub fn check(staged: &Path) -> Result<(), String> {
    let work = target_dir().join("schemathesis");
    let tool = polyglot::pip_install_pinned(&work.join("venv"), "schemathesis", SCHEMATHESIS)?;
    run(cargo().args(["build", "-p", "onewindow"]))?;

    let data = work.join(format!("data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let mut host = Host::start(&data, &staged.join("first-party"))?;
    let outcome = host.base().and_then(|base| {
        let admin = sign_in(&base, "admin", &host.admin_password)?;
        let registration =
            format!(r#"{{"username":"{}","password":"{}","display_name":"Schemathesis"}}"#, RESIDENT.0, RESIDENT.1);
        post_json(&base, "/api/v1/auth/register", &registration)?;
        let resident = sign_in(&base, RESIDENT.0, RESIDENT.1)?;
        let mut failed = Vec::new();
        for (caller, token) in [("anonymous", None), ("resident", Some(resident)), ("admin", Some(admin))] {
            println!("schemathesis: as {caller}");
            if run_as(&tool, &base, token.as_deref(), &work.join(format!("{caller}.ndjson"))).is_err() {
                failed.push(caller);
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("Schemathesis failed as {} (reports in {})", failed.join(", "), work.display()))
        }
    });
    host.stop();
    let _ = std::fs::remove_dir_all(&data);
    outcome
}

fn run_as(tool: &Path, base: &str, token: Option<&str>, report: &Path) -> Result<(), String> {
    let examples = std::env::var("ONEWINDOW_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "10".into());
    let seconds = std::env::var("ONEWINDOW_SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "60".into());
    let mut command = Command::new(tool);
    // Schemathesis keeps a cache in its working directory: under target/.
    command.current_dir(report.parent().expect("a report file is in a directory"));
    command
        .arg("--config-file")
        .arg(root().join("xtask/schemathesis.toml"))
        .args(["run", &format!("{base}/api/openapi.json"), "--checks", "all", "--no-shrink"])
        .args(["--max-examples", &examples, "--max-time", &seconds, "--report", "ndjson", "--report-ndjson-path"])
        .arg(report);
    if let Some(token) = token {
        // Signing out would revoke the token the rest of the run signs in with.
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
        command.args(["--exclude-path", "/api/v1/auth/sign-out"]);
    }
    run(&mut command)
}

/// `onewindow serve` on a fresh data directory and a free port.
struct Host {
    child: Child,
    admin_password: String,
    address: Option<String>,
}

impl Host {
    fn start(data: &Path, first_party: &Path) -> Result<Host, String> {
        let binary = target_dir().join("debug").join("onewindow");
        let log = std::fs::File::create(data.join("host.log")).map_err(|e| format!("{}: {e}", data.display()))?;
        let mut child = Command::new(&binary)
            .arg("serve")
            .arg("--data-dir")
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--first-party"])
            .arg(first_party)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        // The first start prints the admin's password, then the address.
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let (mut admin_password, mut address) = (String::new(), None);
        for line in lines.by_ref() {
            let line = line.map_err(|e| format!("reading the host's output: {e}"))?;
            if let Some(password) = line.trim().strip_prefix("password: ") {
                admin_password = password.to_owned();
            }
            if let Some(rest) = line.split("serving on http://").nth(1) {
                address = rest.split_whitespace().next().map(str::to_owned);
                break;
            }
        }
        // Keep reading, so the host never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Host { child, admin_password, address })
    }

    fn base(&self) -> Result<String, String> {
        match (&self.address, self.admin_password.is_empty()) {
            (Some(address), false) => Ok(format!("http://{address}")),
            _ => Err("the host did not start (see host.log in its data directory)".into()),
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sign_in(base: &str, username: &str, password: &str) -> Result<String, String> {
    let body =
        post_json(base, "/api/v1/auth/sign-in", &format!(r#"{{"username":"{username}","password":"{password}"}}"#))?;
    body.split(r#""token":""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("signing in {username} answered {body}"))
}

/// POSTs a JSON body over plain HTTP/1.1; answers the body of a 2xx.
fn post_json(base: &str, path: &str, body: &str) -> Result<String, String> {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).map_err(|e| format!("{address}: {e}"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(|e| format!("{path}: {e}"))?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| format!("{path}: {e}"))?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).unwrap_or_default();
    if status.starts_with('2') { Ok(body.to_owned()) } else { Err(format!("POST {path} answered {head}\n{body}")) }
}
