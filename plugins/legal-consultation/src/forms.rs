//! Small bodies shared by several routes: one short text field, and the
//! page of a list.

use onewindow_sdk::prelude::*;

/// Reads `{"FIELD": "..."}` with the text at most `max` characters; with
/// `required` false an empty body is fine too.
pub fn short_text(req: &Request, field: &str, required: bool, max: usize) -> Result<Option<String>> {
    if req.body().is_empty() && !required {
        return Ok(None);
    }
    let mut body = req.body_fields()?;
    let text = if required { body.required_text(field) } else { body.optional_text(field) };
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    if let Some(text) = &text {
        problems.check(text.chars().count() <= max, field, format!("must be at most {max} characters"));
    }
    problems.into_result()?;
    Ok(text)
}

/// The page of a list (`?limit=`, 1-100, default 20; `?offset=`), its
/// problems added to `problems` so that a client learns every bad query
/// parameter at once.
pub fn page(req: &Request, problems: &mut FieldErrors) -> Option<Page> {
    match Page::from_request(req, 20, 100) {
        Ok(page) => Some(page),
        Err(error) => {
            for problem in error.field_errors() {
                problems.add(&problem.field, problem.message.clone());
            }
            None
        }
    }
}
