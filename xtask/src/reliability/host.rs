//! The real host binary as a child process (so a kill is a real SIGKILL),
//! and the fresh PostgreSQL database a run uses.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::target_dir;

/// How to start a host; the same spec restarts it on the same data.
#[derive(Clone)]
pub struct HostSpec {
    pub data: PathBuf,
    pub database: Option<String>,
    pub first_party: Vec<PathBuf>,
    pub config: Option<PathBuf>,
}

impl HostSpec {
    /// A spec on a fresh data directory `work/name`.
    pub fn fresh(work: &Path, name: &str, first_party: &[PathBuf]) -> Result<HostSpec, String> {
        let data = work.join(name);
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        Ok(HostSpec { data, database: None, first_party: first_party.to_vec(), config: None })
    }
}

pub struct Host {
    child: Child,
    /// `127.0.0.1:PORT` (a new port on every start).
    pub address: String,
    /// Printed on the first start of a fresh database only.
    pub admin_password: Option<String>,
}

impl Host {
    /// Starts `onewindow serve` and waits until it says it is serving.
    pub fn start(spec: &HostSpec) -> Result<Host, String> {
        let binary = target_dir().join("debug").join("onewindow");
        let log_path = spec.data.join("host.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("{}: {e}", log_path.display()))?;
        let mut command = Command::new(&binary);
        command.arg("serve").arg("--data-dir").arg(&spec.data).args(["--listen", "127.0.0.1:0"]);
        if let Some(database) = &spec.database {
            command.args(["--database", database]);
        }
        if let Some(config) = &spec.config {
            command.arg("--config").arg(config);
        }
        for dir in &spec.first_party {
            command.arg("--first-party").arg(dir);
        }
        // Plain logs, and only warnings: a flood of request lines would slow the host.
        command.env("ONEWINDOW_LOG_FORMAT", "plain").env("RUST_LOG", "warn");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let (mut admin_password, mut address) = (None, None);
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(password) = line.trim().strip_prefix("password: ") {
                admin_password = Some(password.to_owned());
            }
            if let Some(rest) = line.split("serving on http://").nth(1) {
                address = rest.split_whitespace().next().map(str::to_owned);
                break;
            }
        }
        // Keep reading, so the host never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        match address {
            Some(address) => Ok(Host { child, address, admin_password }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("the host did not start (see {})", log_path.display()))
            }
        }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill9(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A fresh PostgreSQL database `rel_<random>`, dropped again on drop. The
/// server is the one the tests use (`ONEWINDOW_TEST_POSTGRES`).
pub struct Postgres {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl Postgres {
    pub fn create() -> Result<Postgres, String> {
        let admin_url = std::env::var("ONEWINDOW_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let name = format!("rel_{}_{:x}", std::process::id(), nanos & 0xffff_ffff);
        let (base, _) = admin_url.rsplit_once('/').ok_or_else(|| format!("not a database URL: {admin_url}"))?;
        let url = format!("{base}/{name}");
        let postgres = Postgres { admin_url, name, url };
        postgres.sql(&format!("CREATE DATABASE \"{}\"", postgres.name))?;
        Ok(postgres)
    }

    /// Runs `sql` as the server's superuser; answers psql's unaligned output.
    pub fn sql(&self, sql: &str) -> Result<String, String> {
        let output = Command::new("psql")
            .args([self.admin_url.as_str(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .map_err(|e| format!("cannot run psql (needed for the PostgreSQL scenarios): {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!("psql {sql:?}: {}", String::from_utf8_lossy(&output.stderr)))
        }
    }

    /// Terminates every server process connected to this database; answers how many.
    pub fn terminate_backends(&self) -> Result<usize, String> {
        let sql = format!(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = '{}' AND pid <> pg_backend_pid()",
            self.name
        );
        self.sql(&sql)?.trim().parse().map_err(|e| format!("counting terminated backends: {e}"))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.sql(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
    }
}
