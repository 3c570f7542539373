//! CSV rendering of a [`Report`], for units that want the figures in a spreadsheet.

use super::figures::{FigureRow, Report};

/// Column names, in order. `period` repeats the period label on every row so files from several periods can be
/// concatenated; `service` is empty on a unit's total row.
pub const CSV_HEADER: [&str; 16] = [
    "period",
    "unit",
    "service",
    "opened",
    "referrals_in",
    "referrals_out",
    "closed",
    "open_at_end",
    "open_overdue",
    "closed_with_due",
    "closed_on_time",
    "rated",
    "closure_rate",
    "on_time_rate",
    "median_hours_to_close",
    "average_rating",
];

/// Renders `report` as CSV (RFC 4180 quoting, `\n` line ends): the [`CSV_HEADER`] row, then one row per
/// [`FigureRow`] in report order. Counts are plain integers; rates, median hours and average rating have exactly
/// 4 decimals; a missing (null) value is an empty cell.
pub fn to_csv(report: &Report) -> String {
    let mut writer = ::csv::WriterBuilder::new().terminator(::csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Why the expects: writing to a Vec cannot fail, and every field is valid UTF-8 text.
    writer.write_record(CSV_HEADER).expect("writing to memory");
    for row in &report.rows {
        writer.write_record(record(&report.period.label, row)).expect("writing to memory");
    }
    let bytes = writer.into_inner().expect("flushing to memory");
    String::from_utf8(bytes).expect("all fields are UTF-8")
}

fn record(label: &str, row: &FigureRow) -> [String; 16] {
    let decimal = |value: Option<f64>| value.map(|v| format!("{v:.4}")).unwrap_or_default();
    [
        label.to_owned(),
        row.unit.clone(),
        row.service.clone().unwrap_or_default(),
        row.opened.to_string(),
        row.referrals_in.to_string(),
        row.referrals_out.to_string(),
        row.closed.to_string(),
        row.open_at_end.to_string(),
        row.open_overdue.to_string(),
        row.closed_with_due.to_string(),
        row.closed_on_time.to_string(),
        row.rated.to_string(),
        decimal(row.closure_rate),
        decimal(row.on_time_rate),
        decimal(row.median_hours_to_close),
        decimal(row.average_rating),
    ]
}
