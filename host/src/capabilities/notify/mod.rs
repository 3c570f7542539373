//! The `notify` capability: a plugin sends a resident a message from one of
//! the templates its manifest declares (zh, ug, en) and its grant names.
//! The message is rendered in all three languages and joins the request's
//! transaction: it is delivered only if the call's writes commit.
//!
//! Delivery goes through outlets (`Outlet`): the inbox is the only one now;
//! SMS or a messaging channel would be another implementation, chosen per
//! resident, without plugins changing.

pub mod grant;

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use crate::capabilities::grant::{self as grants, Grant};
use crate::registry::manifest::{Localized, Manifest};
use crate::store::Store;
use crate::store::accounts::{self, Role};
use crate::store::notifications::{self, Message};
use crate::store::tx::RequestTx;
use crate::wit::CapabilityError;
use crate::wit::onewindow::platform::notify as wit_notify;

/// The most parameters one message takes, and the longest value.
const MAX_PARAMS: usize = 20;
const MAX_PARAM_CHARS: usize = 500;

/// The templates a plugin version may send.
#[derive(Debug)]
pub struct Templates {
    service: String,
    granted: BTreeMap<String, Localized>,
}

impl Templates {
    pub fn new(manifest: &Manifest, grants: &[Grant]) -> Templates {
        let granted = manifest
            .linkage
            .templates
            .iter()
            .filter(|(name, _)| grants::allows(grants, "notify", Some(name)))
            .map(|(name, text)| (name.clone(), text.clone()))
            .collect();
        Templates { service: manifest.id.to_string(), granted }
    }
}

/// Per-instance state of the notify capability.
pub struct NotifyContext {
    templates: Arc<Templates>,
    store: Store,
    tx: RequestTx,
}

impl NotifyContext {
    pub fn new(templates: Arc<Templates>, store: Store, tx: RequestTx) -> NotifyContext {
        NotifyContext { templates, store, tx }
    }
}

/// Where a rendered message goes.
pub trait Outlet {
    /// Delivers `message` as part of the request's transaction.
    fn deliver(
        &self,
        tx: &RequestTx,
        message: &Message<'_>,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

/// The resident's inbox in the portal.
pub struct Inbox;

impl Outlet for Inbox {
    async fn deliver(&self, tx: &RequestTx, message: &Message<'_>) -> Result<(), sqlx::Error> {
        notifications::insert(tx, message).await.map(|_| ())
    }
}

impl wit_notify::Host for NotifyContext {
    async fn send(
        &mut self,
        resident: String,
        template: String,
        params: Vec<(String, String)>,
    ) -> Result<(), CapabilityError> {
        let Some(text) = self.templates.granted.get(&template) else {
            return Err(CapabilityError::AccessDenied(format!("template `{template}` is not granted")));
        };
        if params.len() > MAX_PARAMS || params.iter().any(|(_, v)| v.chars().count() > MAX_PARAM_CHARS) {
            return Err(CapabilityError::Invalid(format!(
                "at most {MAX_PARAMS} parameters of at most {MAX_PARAM_CHARS} characters"
            )));
        }
        let render = |text: &str| notifications::render(text, &params).map_err(CapabilityError::Invalid);
        let (zh, ug, en) = (render(&text.zh)?, render(&text.ug)?, render(&text.en)?);
        let account = accounts::find_by_id(&self.store, &resident).await.map_err(|e| {
            tracing::error!(plugin = self.templates.service, "notify: database error: {e:#}");
            CapabilityError::Unavailable("the platform could not send the message".into())
        })?;
        if !account.is_some_and(|a| a.role == Role::Resident) {
            return Err(CapabilityError::NotFound(format!("there is no resident `{resident}`")));
        }
        let message = Message {
            resident: &resident,
            source: &self.templates.service,
            template: Some(&template),
            zh,
            ug,
            en,
            case_id: None,
            alert_id: None,
        };
        Inbox.deliver(&self.tx, &message).await.map_err(|e| {
            tracing::error!(plugin = self.templates.service, "notify: database error: {e:#}");
            CapabilityError::Unavailable("the platform could not send the message".into())
        })
    }
}

/// Links the `notify` interface; `context` finds the per-instance context.
pub fn link<T: Send + 'static>(
    linker: &mut Linker<T>,
    context: fn(&mut T) -> &mut NotifyContext,
) -> anyhow::Result<()> {
    wit_notify::add_to_linker::<T, HasSelf<NotifyContext>>(linker, context).map_err(|e| anyhow::anyhow!("{e:#}"))
}
