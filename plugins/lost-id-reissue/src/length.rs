//! The one check every form here shares: a text field's length, counted in
//! characters (a Chinese or Uyghur letter is one, however many bytes).

use onewindow_sdk::BodyFields;

/// Records a fault unless `value` (when given) has `min..=max` characters.
pub fn check_length(body: &mut BodyFields, field: &str, value: Option<&str>, min: usize, max: usize) {
    let ok = value.is_none_or(|v| (min..=max).contains(&v.chars().count()));
    body.check(ok, field, format!("must be {min} to {max} characters"));
}
