//! The `cases` capability: a plugin opens and moves the cases of its own
//! service, of the kinds and for the units its grant names. The host keeps
//! the status model, the history and the resident's notifications
//! (`store::cases`); this module checks the grant and maps to the WIT.

pub mod grant;

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use crate::capabilities::grant::Grant;
use crate::registry::linkage::CaseKind;
use crate::registry::manifest::Manifest;
use crate::store::Store;
use crate::store::accounts::{self, Role};
use crate::store::cases::{self as store_cases, Case, CaseActor, CaseError, CaseFilter, CaseStatus, NewCase};
use crate::store::tx::RequestTx;
use crate::wit::CapabilityError;
use crate::wit::onewindow::platform::cases::{self as wit_cases, CaseInfo, HistoryEntry, Status};

/// What a plugin version may do with cases: from its manifest and grants.
#[derive(Debug)]
pub struct CasePolicy {
    service: String,
    kinds: Vec<CaseKind>,
    grants: Vec<Grant>,
}

impl CasePolicy {
    pub fn new(manifest: &Manifest, grants: &[Grant]) -> CasePolicy {
        CasePolicy {
            service: manifest.id.to_string(),
            kinds: manifest.linkage.case_kinds.clone(),
            grants: grants.iter().filter(|g| g.capability == "cases").cloned().collect(),
        }
    }
}

/// Per-instance state of the cases capability.
pub struct CasesContext {
    policy: Arc<CasePolicy>,
    store: Store,
    tx: RequestTx,
    /// The caller's account id (`anonymous` when none) and unit.
    actor: String,
    actor_unit: Option<String>,
}

impl CasesContext {
    pub fn new(
        policy: Arc<CasePolicy>,
        store: Store,
        tx: RequestTx,
        actor: String,
        actor_unit: Option<String>,
    ) -> CasesContext {
        CasesContext { policy, store, tx, actor, actor_unit }
    }

    fn actor(&self) -> CaseActor<'_> {
        CaseActor { id: &self.actor, unit: self.actor_unit.as_deref(), via: &self.policy.service }
    }

    fn granted(&self) -> Result<(), CapabilityError> {
        if self.policy.grants.is_empty() {
            return Err(CapabilityError::AccessDenied(format!("`cases` is not granted to {}", self.policy.service)));
        }
        Ok(())
    }

    /// A case of this service; any other case does not exist for it.
    async fn own_case(&self, id: i64) -> Result<Case, CapabilityError> {
        self.granted()?;
        match store_cases::get(&self.tx, id).await.map_err(|e| database_error(&self.policy.service, e))? {
            Some(case) if case.service == self.policy.service => Ok(case),
            _ => Err(CapabilityError::NotFound(format!("case {id} does not exist"))),
        }
    }

    /// A case of this service whose lead unit the grant names for its kind:
    /// once staff hand a case to a unit the plugin was not granted, the
    /// plugin may still read it but no longer change it.
    async fn movable_case(&self, id: i64) -> Result<Case, CapabilityError> {
        let case = self.own_case(id).await?;
        if !grant::allows_unit(&self.policy.grants, &case.kind, &case.unit) {
            return Err(CapabilityError::AccessDenied(format!(
                "case {} is now with unit `{}`, which this service is not granted for `{}` cases",
                case.reference, case.unit, case.kind
            )));
        }
        Ok(case)
    }

    async fn info(&self, case: Case) -> Result<CaseInfo, CapabilityError> {
        let units = store_cases::units(&self.tx, case.id).await.map_err(|e| database_error(&self.policy.service, e))?;
        Ok(to_wit(case, units.into_iter().filter(|u| u.role != "former").map(|u| u.unit).collect()))
    }

    fn case_error(&self, error: CaseError) -> CapabilityError {
        match error {
            CaseError::NotFound(id) => CapabilityError::NotFound(format!("case {id} does not exist")),
            error @ (CaseError::IllegalTransition { .. } | CaseError::Conflict(_)) => {
                CapabilityError::Conflict(error.to_string())
            }
            CaseError::Invalid(message) => CapabilityError::Invalid(message),
            CaseError::Database(e) => database_error(&self.policy.service, e),
        }
    }
}

fn database_error(service: &str, error: sqlx::Error) -> CapabilityError {
    tracing::error!(plugin = service, "cases capability: database error: {error:#}");
    CapabilityError::Unavailable("the database could not complete the operation".into())
}

fn status_to_wit(status: CaseStatus) -> Status {
    match status {
        CaseStatus::Requested => Status::Requested,
        CaseStatus::Accepted => Status::Accepted,
        CaseStatus::Rejected => Status::Rejected,
        CaseStatus::InProgress => Status::InProgress,
        CaseStatus::OnHold => Status::OnHold,
        CaseStatus::Completed => Status::Completed,
        CaseStatus::Cancelled => Status::Cancelled,
        CaseStatus::Failed => Status::Failed,
    }
}

fn status_from_wit(status: Status) -> CaseStatus {
    match status {
        Status::Requested => CaseStatus::Requested,
        Status::Accepted => CaseStatus::Accepted,
        Status::Rejected => CaseStatus::Rejected,
        Status::InProgress => CaseStatus::InProgress,
        Status::OnHold => CaseStatus::OnHold,
        Status::Completed => CaseStatus::Completed,
        Status::Cancelled => CaseStatus::Cancelled,
        Status::Failed => CaseStatus::Failed,
    }
}

fn to_wit(case: Case, units: Vec<String>) -> CaseInfo {
    CaseInfo {
        id: case.id,
        reference: case.reference,
        service: case.service,
        kind: case.kind,
        resident: case.resident,
        unit: case.unit,
        units,
        status: status_to_wit(case.status),
        opened_at: case.opened_at,
        due_at: case.due_at,
        closed_at: case.closed_at,
        data: case.data,
        rating: case.rating.and_then(|r| u8::try_from(r).ok()),
    }
}

impl wit_cases::Host for CasesContext {
    async fn create(&mut self, new: wit_cases::NewCase) -> Result<CaseInfo, CapabilityError> {
        self.granted()?;
        let Some(kind) = self.policy.kinds.iter().find(|k| k.name == new.kind) else {
            return Err(CapabilityError::Invalid(format!("the manifest declares no case kind `{}`", new.kind)));
        };
        if !grant::allows_unit(&self.policy.grants, &new.kind, &new.unit) {
            return Err(CapabilityError::AccessDenied(format!(
                "cases of kind `{}` for unit `{}` are not granted",
                new.kind, new.unit
            )));
        }
        let resident = accounts::find_by_id(&self.store, &new.resident)
            .await
            .map_err(|e| database_error(&self.policy.service, e))?;
        if !resident.is_some_and(|a| a.role == Role::Resident) {
            return Err(CapabilityError::NotFound(format!("there is no resident `{}`", new.resident)));
        }
        if crate::store::units::find(&self.store, &new.unit)
            .await
            .map_err(|e| database_error(&self.policy.service, e))?
            .is_none()
        {
            return Err(CapabilityError::NotFound(format!("there is no unit `{}`", new.unit)));
        }
        let new_case = NewCase {
            prefix: &kind.reference_prefix,
            service: &self.policy.service,
            kind: &kind.name,
            resident: &new.resident,
            unit: &new.unit,
            data: if new.data.is_empty() { "{}" } else { &new.data },
            note: &new.note,
            time_limit_days: kind.time_limit_days,
        };
        let tx = self.tx.clone();
        let case = tx
            .atomically(store_cases::create(&self.tx, new_case, self.actor()), CaseError::Database)
            .await
            .map_err(|e| self.case_error(e))?;
        self.info(case).await
    }

    async fn get(&mut self, id: i64) -> Result<CaseInfo, CapabilityError> {
        let case = self.own_case(id).await?;
        self.info(case).await
    }

    async fn get_by_reference(&mut self, reference: String) -> Result<CaseInfo, CapabilityError> {
        let missing = || CapabilityError::NotFound(format!("case {reference} does not exist"));
        let id = store_cases::id_of_reference(&reference).ok_or_else(missing)?;
        let case = self.own_case(id).await.map_err(|_| missing())?;
        if case.reference != reference {
            return Err(missing());
        }
        self.info(case).await
    }

    async fn find(&mut self, filter: wit_cases::CaseFilter) -> Result<Vec<CaseInfo>, CapabilityError> {
        self.granted()?;
        let filter = CaseFilter {
            service: Some(self.policy.service.clone()),
            resident: filter.resident,
            unit: filter.unit,
            kind: filter.kind,
            status: filter.status.map(status_from_wit),
            limit: filter.limit.unwrap_or(50).min(200),
            offset: filter.offset.unwrap_or(0),
            ..CaseFilter::default()
        };
        let (cases, _) =
            store_cases::list(&self.tx, &filter).await.map_err(|e| database_error(&self.policy.service, e))?;
        let mut infos = Vec::with_capacity(cases.len());
        for case in cases {
            infos.push(self.info(case).await?);
        }
        Ok(infos)
    }

    async fn history(&mut self, id: i64) -> Result<Vec<HistoryEntry>, CapabilityError> {
        self.own_case(id).await?;
        let entries = store_cases::history(&self.tx, id).await.map_err(|e| database_error(&self.policy.service, e))?;
        Ok(entries
            .into_iter()
            .map(|e| HistoryEntry {
                at: e.at,
                actor: e.actor,
                unit: e.actor_unit,
                action: e.action,
                from_status: e.from_status.map(status_to_wit),
                to_status: e.to_status.map(status_to_wit),
                from_unit: e.from_unit,
                to_unit: e.to_unit,
                note: e.note,
            })
            .collect())
    }

    async fn transition(&mut self, id: i64, to: Status, note: String) -> Result<CaseInfo, CapabilityError> {
        self.movable_case(id).await?;
        let tx = self.tx.clone();
        let moved = store_cases::transition(&self.tx, id, status_from_wit(to), &note, self.actor(), None);
        let case = tx.atomically(moved, CaseError::Database).await.map_err(|e| self.case_error(e))?;
        self.info(case).await
    }

    async fn refer(&mut self, id: i64, unit: String, keep: bool, note: String) -> Result<CaseInfo, CapabilityError> {
        let case = self.movable_case(id).await?;
        if !grant::allows_unit(&self.policy.grants, &case.kind, &unit) {
            return Err(CapabilityError::AccessDenied(format!(
                "cases of kind `{}` for unit `{unit}` are not granted",
                case.kind
            )));
        }
        if crate::store::units::find(&self.store, &unit)
            .await
            .map_err(|e| database_error(&self.policy.service, e))?
            .is_none()
        {
            return Err(CapabilityError::NotFound(format!("there is no unit `{unit}`")));
        }
        let tx = self.tx.clone();
        let referred = store_cases::refer(&self.tx, id, &unit, keep, &note, self.actor(), None);
        let case = tx.atomically(referred, CaseError::Database).await.map_err(|e| self.case_error(e))?;
        self.info(case).await
    }

    async fn add_note(&mut self, id: i64, note: String) -> Result<(), CapabilityError> {
        self.movable_case(id).await?;
        store_cases::add_note(&self.tx, id, &note, self.actor()).await.map_err(|e| self.case_error(e))
    }

    async fn set_data(&mut self, id: i64, data: String) -> Result<CaseInfo, CapabilityError> {
        self.movable_case(id).await?;
        let case = store_cases::set_data(&self.tx, id, &data).await.map_err(|e| self.case_error(e))?;
        self.info(case).await
    }
}

/// Links the `cases` interface; `context` finds the per-instance context.
pub fn link<T: Send + 'static>(linker: &mut Linker<T>, context: fn(&mut T) -> &mut CasesContext) -> anyhow::Result<()> {
    wit_cases::add_to_linker::<T, HasSelf<CasesContext>>(linker, context).map_err(|e| anyhow::anyhow!("{e:#}"))
}
