//! Lifecycle refusals as problems: each kind of refusal has its own stable
//! `type`, so a partner's tooling can tell them apart.

use axum::http::StatusCode;

use super::problem::{ApiError, FieldError};
use crate::registry::RegistryError;
use crate::registry::validate::ValidationError;

fn refused(status: StatusCode, slug: &'static str, title: &'static str, detail: String) -> ApiError {
    ApiError::Refused { status, slug, title, detail, errors: Vec::new() }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        let detail = error.to_string();
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        match error {
            RegistryError::Manifest(problem) => ApiError::Refused {
                status: unprocessable,
                slug: "invalid-manifest",
                title: "Invalid manifest",
                detail,
                errors: vec![FieldError::new(&problem.field, problem.problem)],
            },
            RegistryError::ManifestFaults(faults) => ApiError::Refused {
                status: unprocessable,
                slug: "invalid-manifest",
                title: "Invalid manifest",
                detail,
                errors: faults.iter().map(|f| FieldError::new(&f.field, f.problem.clone())).collect(),
            },
            RegistryError::Component(component) => {
                let (status, slug, title) = component_refusal(&component);
                refused(status, slug, title, detail)
            }
            RegistryError::ComponentFaults(faults) => {
                // Named after the first; every fault is listed.
                let (status, slug, title) = component_refusal(&faults[0]);
                let errors = faults.iter().map(|f| FieldError::new("component", f.to_string())).collect();
                ApiError::Refused { status, slug, title, detail, errors }
            }
            RegistryError::NotOwner(_) => ApiError::Forbidden(detail),
            RegistryError::DuplicateData(_) => {
                refused(StatusCode::CONFLICT, "duplicate-data", "Stored rows break a unique index", detail)
            }
            RegistryError::QuotaExceeded(_) => {
                refused(StatusCode::CONFLICT, "upload-quota-exceeded", "Upload quota exceeded", detail)
            }
            RegistryError::VersionNotNewer { .. } | RegistryError::VersionExists { .. } => {
                refused(StatusCode::CONFLICT, "version-not-newer", "Version not newer", detail)
            }
            RegistryError::NotFound(_) => ApiError::NotFound(detail),
            RegistryError::WrongState(_) => {
                refused(StatusCode::CONFLICT, "wrong-state", "Not possible in this state", detail)
            }
            RegistryError::ComponentRemoved(_) => {
                refused(StatusCode::CONFLICT, "component-removed", "Component removed", detail)
            }
            RegistryError::ShaMismatch { .. } => {
                refused(StatusCode::CONFLICT, "sha256-mismatch", "Different upload", detail)
            }
            RegistryError::InvalidApiDoc(faults) => ApiError::Refused {
                status: unprocessable,
                slug: "invalid-api-doc",
                title: "Invalid route description",
                detail,
                errors: faults.iter().map(|f| FieldError::new("api", f.clone())).collect(),
            },
            RegistryError::InvalidGrant(_) => refused(unprocessable, "invalid-grant", "Invalid grant", detail),
            RegistryError::Storage(e) => ApiError::Internal(e.into()),
            RegistryError::Internal(message) => ApiError::Internal(anyhow::anyhow!(message)),
        }
    }
}

/// The status, problem type and title of a refused component.
fn component_refusal(fault: &ValidationError) -> (StatusCode, &'static str, &'static str) {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match fault {
        ValidationError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Component too large"),
        ValidationError::NotWasm => (unprocessable, "not-wasm", "Not WebAssembly"),
        ValidationError::CoreModule => (unprocessable, "core-module", "Core module, not a component"),
        ValidationError::InvalidComponent(_) => (unprocessable, "invalid-component", "Invalid component"),
        ValidationError::ForbiddenImport(_) => (unprocessable, "forbidden-import", "Forbidden import"),
        ValidationError::AsyncExport => (unprocessable, "async-export", "Async export"),
        ValidationError::UnsupportedVersion { .. } => {
            (unprocessable, "unsupported-version", "Unsupported platform version")
        }
        ValidationError::WrongWorld(_) => (unprocessable, "wrong-world", "Wrong world"),
        ValidationError::OverPoolLimits(_) => {
            (unprocessable, "exceeds-instance-limits", "Component exceeds instance limits")
        }
    }
}
