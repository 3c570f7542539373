//! The table of one backend's figures.

use std::fmt;

use crate::Options;
use crate::database::Backend;
use crate::drive::Outcome;

/// One scenario's figures; `ratio` is its throughput over its native twin's.
pub struct Line {
    pub scenario: String,
    pub outcome: Outcome,
    pub ratio: Option<f64>,
}

pub struct Table {
    heading: String,
    lines: Vec<Line>,
    notes: Vec<String>,
}

impl Table {
    pub fn new(backend: Backend, options: &Options) -> Table {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let heading = format!(
            "{backend}: {} requests per scenario and {} applications (each after a tenth as many to warm up), \
             {} connections; host and load generator (2 workers) share {cores} cores",
            options.requests, options.applications, options.connections
        );
        Table { heading, lines: Vec::new(), notes: Vec::new() }
    }

    pub fn push(&mut self, line: Line) {
        self.lines.push(line);
    }

    /// A line under the table.
    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n{}\n", self.heading)?;
        let width = self.lines.iter().map(|l| l.scenario.chars().count()).max().unwrap_or(0);
        writeln!(
            f,
            "| {:width$} | {:>9} | {:>9} | {:>9} | {:>9} | {:>6} |",
            "scenario", "req/s", "p50", "p99", "vs native", "failed"
        )?;
        writeln!(
            f,
            "|{}|{}:|{}:|{}:|{}:|{}:|",
            "-".repeat(width + 2),
            "-".repeat(10),
            "-".repeat(10),
            "-".repeat(10),
            "-".repeat(10),
            "-".repeat(7)
        )?;
        for line in &self.lines {
            let outcome = &line.outcome;
            let ratio = line.ratio.map_or(String::new(), |r| format!("{r:.2}×"));
            writeln!(
                f,
                "| {:width$} | {:>9.0} | {:>9} | {:>9} | {:>9} | {:>6} |",
                line.scenario,
                outcome.rate(),
                duration(outcome.latency.value_at_quantile(0.5)),
                duration(outcome.latency.value_at_quantile(0.99)),
                ratio,
                outcome.failures
            )?;
        }
        for line in self.lines.iter().filter(|l| l.outcome.failures > 0) {
            writeln!(
                f,
                "\n{}: first failure: {}",
                line.scenario,
                line.outcome.first_failure.as_deref().unwrap_or("?")
            )?;
        }
        for note in &self.notes {
            writeln!(f, "\n{note}")?;
        }
        Ok(())
    }
}

/// Microseconds, as µs or ms.
fn duration(micros: u64) -> String {
    if micros < 1000 { format!("{micros} µs") } else { format!("{:.2} ms", micros as f64 / 1000.0) }
}
