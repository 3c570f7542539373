//! The host's own account of a start: its log lines (plain format, UTC
//! timestamps) placed on the clock of the spawn, so a slow restart shows
//! which step took the time.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One log line of a start: when it was written after the spawn (negative
/// clock skew shows as zero), and its text without the timestamp.
pub struct Line {
    pub after: Duration,
    pub text: String,
}

/// The lines appended to `log` past `offset` bytes, timed from `spawned`.
pub fn since(log: &Path, offset: u64, spawned: SystemTime) -> Result<Vec<Line>, String> {
    let bytes = std::fs::read(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
    let spawned = seconds_of_day(spawned);
    let text = String::from_utf8_lossy(&bytes[start..]);
    Ok(text
        .lines()
        .filter_map(|line| {
            let (stamp, rest) = line.split_once(char::is_whitespace)?;
            let at = parse_time_of_day(stamp)?;
            let after = Duration::try_from_secs_f64(at - spawned).unwrap_or_default();
            Some(Line { after, text: rest.trim().to_owned() })
        })
        .collect())
}

/// Seconds since midnight UTC (a start never spans midnight in practice;
/// if one does, its lines show as zero).
fn seconds_of_day(time: SystemTime) -> f64 {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    (since_epoch.as_secs() % 86_400) as f64 + f64::from(since_epoch.subsec_nanos()) / 1e9
}

/// `2026-11-27T11:26:00.123456Z` as seconds since midnight.
fn parse_time_of_day(stamp: &str) -> Option<f64> {
    let time = stamp.split_once('T')?.1.strip_suffix('Z')?;
    let mut parts = time.splitn(3, ':');
    let hours: f64 = parts.next()?.parse().ok()?;
    let minutes: f64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    Some(hours * 3600.0 + minutes * 60.0 + seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utc_timestamps_as_seconds_of_day() {
        assert_eq!(parse_time_of_day("2026-11-27T01:02:03.5Z"), Some(3723.5));
        assert_eq!(parse_time_of_day("not a time"), None);
        assert_eq!(seconds_of_day(UNIX_EPOCH + Duration::from_millis(86_400_000 + 1_500)), 1.5);
    }
}
