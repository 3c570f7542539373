//! A process's memory as Linux reports it: the totals of
//! `/proc/PID/status` and, from `/proc/PID/smaps`, where the resident pages
//! are (mapped artifacts, the instance pool, the heap...).

use std::collections::BTreeMap;
use std::fmt;

/// Bytes per MB as printed (10^6: the targets are in MB).
const MB: f64 = 1_000_000.0;
/// Anonymous mappings larger than this are the instance pool's reserved
/// regions (memories and tables of every slot); glibc's malloc arenas are
/// exactly 64 MiB and thread stacks far smaller.
const LARGE_RESERVATION: u64 = 64 << 20;

/// The totals of `/proc/PID/status`, in bytes.
#[derive(Clone, Copy, Default)]
pub struct Status {
    pub rss: u64,
    pub hwm: u64,
    pub anon: u64,
    pub file: u64,
    pub shmem: u64,
}

impl Status {
    pub fn read(pid: u32) -> Result<Status, String> {
        let path = format!("/proc/{pid}/status");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let mut status = Status::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else { continue };
            let field = match key {
                "VmRSS" => &mut status.rss,
                "VmHWM" => &mut status.hwm,
                "RssAnon" => &mut status.anon,
                "RssFile" => &mut status.file,
                "RssShmem" => &mut status.shmem,
                _ => continue,
            };
            *field = kilobytes(value).ok_or_else(|| format!("{path}: cannot read {line:?}"))?;
        }
        Ok(status)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VmRSS {} (RssAnon {}, RssFile {}, RssShmem {}), VmHWM {}",
            mb(self.rss),
            mb(self.anon),
            mb(self.file),
            mb(self.shmem),
            mb(self.hwm)
        )
    }
}

/// Resets the process's VmHWM to its current RSS, so that the next read
/// shows the peak of what happens in between (`man 5 proc`, clear_refs).
pub fn reset_peak(pid: u32) -> Result<(), String> {
    let path = format!("/proc/{pid}/clear_refs");
    std::fs::write(&path, "5").map_err(|e| format!("{path}: {e}"))
}

/// Where the resident pages are, by kind of mapping, in bytes.
#[derive(Clone, Default)]
pub struct Breakdown {
    resident: BTreeMap<Kind, u64>,
    /// Virtual size: what is reserved, touched or not.
    reserved: BTreeMap<Kind, u64>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Kind {
    /// Compiled components (`*.cwasm`), mapped: the pages of their code,
    /// metadata and linear-memory images that were read (page cache the
    /// kernel may drop and share).
    Artifacts,
    /// Pages of those mappings written since: the instances' copy-on-write
    /// copies of memory images (anonymous memory).
    ArtifactCopies,
    /// The host's own executable.
    HostBinary,
    /// Shared libraries and any other file.
    OtherFiles,
    /// Anonymous memory in the instance pool's large reservations.
    InstancePool,
    /// The brk heap, malloc arenas, thread stacks, wasm async stacks.
    HeapAndStacks,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Artifacts => "artifact pages read (*.cwasm, file)",
            Kind::ArtifactCopies => "artifact pages written (anon CoW)",
            Kind::HostBinary => "host binary",
            Kind::OtherFiles => "libraries, other files",
            Kind::InstancePool => "instance pool (anon, >64 MiB regions)",
            Kind::HeapAndStacks => "heap, arenas, stacks (anon)",
        }
    }
}

impl Breakdown {
    pub fn read(pid: u32) -> Result<Breakdown, String> {
        let path = format!("/proc/{pid}/smaps");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).map_err(|e| format!("/proc/{pid}/exe: {e}"))?;
        let mut breakdown = Breakdown::default();
        let mut current = Kind::HeapAndStacks;
        for line in text.lines() {
            if let Some((size, name)) = mapping_header(line) {
                current = if name.ends_with(".cwasm") {
                    Kind::Artifacts
                } else if std::path::Path::new(name) == exe {
                    Kind::HostBinary
                } else if name.starts_with('/') {
                    Kind::OtherFiles
                } else if name.is_empty() && size > LARGE_RESERVATION {
                    Kind::InstancePool
                } else {
                    Kind::HeapAndStacks
                };
                *breakdown.reserved.entry(current).or_default() += size;
            } else if let Some(value) = line.strip_prefix("Rss:") {
                let bytes = kilobytes(value).ok_or_else(|| format!("{path}: cannot read {line:?}"))?;
                *breakdown.resident.entry(current).or_default() += bytes;
            } else if let Some(value) = line.strip_prefix("Anonymous:").filter(|_| current == Kind::Artifacts) {
                // Smaps lists a mapping's Rss before its Anonymous part.
                let bytes = kilobytes(value).ok_or_else(|| format!("{path}: cannot read {line:?}"))?;
                *breakdown.resident.entry(Kind::Artifacts).or_default() -= bytes;
                *breakdown.resident.entry(Kind::ArtifactCopies).or_default() += bytes;
            }
        }
        Ok(breakdown)
    }

    pub fn resident(&self, kind: Kind) -> u64 {
        self.resident.get(&kind).copied().unwrap_or_default()
    }

    pub fn reserved(&self, kind: Kind) -> u64 {
        self.reserved.get(&kind).copied().unwrap_or_default()
    }
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> =
            self.resident.iter().map(|(kind, bytes)| format!("{} {}", kind.label(), mb(*bytes))).collect();
        write!(f, "{}", parts.join("; "))
    }
}

/// A smaps mapping line (`start-end perms offset dev inode [name]`): its
/// virtual size and name (empty for anonymous memory).
fn mapping_header(line: &str) -> Option<(u64, &str)> {
    let mut fields = line.split_whitespace();
    let (start, end) = fields.next()?.split_once('-')?;
    let size = u64::from_str_radix(end, 16).ok()?.checked_sub(u64::from_str_radix(start, 16).ok()?)?;
    // perms, offset, dev, inode; then the name, which may contain spaces.
    let mut rest = line;
    for _ in 0..5 {
        rest = rest.trim_start().split_once(char::is_whitespace).map_or("", |(_, r)| r);
    }
    Some((size, rest.trim()))
}

/// `   1234 kB` in bytes.
fn kilobytes(value: &str) -> Option<u64> {
    value.trim().strip_suffix("kB")?.trim().parse::<u64>().ok().map(|kb| kb * 1024)
}

/// Bytes as MB with one decimal.
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / MB)
}

/// A signed difference of bytes as MB.
pub fn mb_delta(before: u64, after: u64) -> String {
    format!("{:+.1} MB", (after as f64 - before as f64) / MB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mapping_headers_with_and_without_names() {
        let file = "7f0000000000-7f0000200000 r-xp 00001000 08:01 1234   /data/cache/ab-cd.cwasm";
        assert_eq!(mapping_header(file), Some((0x20_0000, "/data/cache/ab-cd.cwasm")));
        let anon = "7f0000000000-7f0100000000 rw-p 00000000 00:00 0 ";
        assert_eq!(mapping_header(anon), Some((0x1_0000_0000, "")));
        assert_eq!(mapping_header("Rss:                 124 kB"), None);
        assert_eq!(kilobytes("   124 kB"), Some(124 * 1024));
    }
}
