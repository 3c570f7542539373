//! The release host binary as a child process: started on a data
//! directory, stopped with SIGTERM (as a service manager stops it), killed
//! if it is still running when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use crate::target_dir;

/// How long a start or a stop may take before it counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(120);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// What the host printed on stdout, and when it was read.
enum Printed {
    Password(String),
    Serving { address: String, at: Instant },
}

/// The host's "serving on" line, read after `after` from the spawn.
pub struct Serving {
    pub address: String,
    pub after: Duration,
}

pub struct Host {
    child: Child,
    pub pid: u32,
    /// Just before the process was spawned (and the same on the wall
    /// clock, to place the host's log lines).
    pub spawned: Instant,
    pub spawned_wall: SystemTime,
    printed: Receiver<Printed>,
    /// Printed on the first start of a fresh data directory only.
    pub admin_password: Option<String>,
    /// The host's stderr, and its length before this start.
    pub log: PathBuf,
    pub log_offset: u64,
}

impl Host {
    /// Spawns `onewindow serve` on `data`, listening on `listen`
    /// (`127.0.0.1:0` for any port). Does not wait for it to serve.
    pub fn spawn(data: &Path, listen: &str) -> Result<Host, String> {
        let binary = target_dir().join("release").join("onewindow");
        let log = data.join("host.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let log_offset = log_file.metadata().map(|m| m.len()).unwrap_or_default();
        let mut command = Command::new(&binary);
        command.arg("serve").arg("--data-dir").arg(data).args(["--listen", listen]);
        // Start-up and lifecycle lines only: request lines are at debug.
        command.env("ONEWINDOW_LOG_FORMAT", "plain").env("RUST_LOG", "info");
        let (spawned, spawned_wall) = (Instant::now(), SystemTime::now());
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, printed) = mpsc::channel();
        // Reads every line, so the host never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let event = if let Some(password) = line.trim().strip_prefix("password: ") {
                    Printed::Password(password.to_owned())
                } else if let Some(rest) = line.split("serving on http://").nth(1) {
                    let address = rest.split_whitespace().next().unwrap_or_default().to_owned();
                    Printed::Serving { address, at: Instant::now() }
                } else {
                    continue;
                };
                if sender.send(event).is_err() {
                    break;
                }
            }
        });
        Ok(Host { pid: child.id(), child, spawned, spawned_wall, printed, admin_password: None, log, log_offset })
    }

    /// Waits for the "serving on" line (keeping the admin password printed
    /// before it).
    pub fn wait_serving(&mut self) -> Result<Serving, String> {
        let deadline = self.spawned + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.printed.recv_timeout(left) {
                Ok(Printed::Password(password)) => self.admin_password = Some(password),
                Ok(Printed::Serving { address, at }) => return Ok(Serving { address, after: at - self.spawned }),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "the host did not say it serves within {START_TIMEOUT:?} ({})",
                        self.log_hint()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("the host exited before serving ({})", self.log_hint()));
                }
            }
        }
    }

    /// The exit status, if the host has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGTERM, then waits for the host to finish its requests and exit.
    pub fn stop(mut self) -> Result<(), String> {
        let sent = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status();
        if !sent.is_ok_and(|status| status.success()) {
            return Err(format!("could not send SIGTERM to the host ({})", self.pid));
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("the host exited with {status} on SIGTERM ({})", self.log_hint()))
                };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!("the host did not exit within {STOP_TIMEOUT:?} of SIGTERM ({})", self.log_hint()))
    }

    pub fn log_hint(&self) -> String {
        format!("see {}", self.log.display())
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A port nothing listens on now, so a restart's address is known before
/// the host prints it and the probe can knock from the moment of spawn.
pub fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}
