//! The plugin lifecycle: manifests, validation of a component, upload,
//! review and approval with grants, versions and rollback.

pub mod api_doc;
pub mod first_party;
pub mod install;
pub mod lifecycle;
pub mod linkage;
pub mod manifest;
pub mod propagation;
pub mod validate;

pub use install::{InstallError, Installer};
pub use lifecycle::{Context, Registry, RegistryError, ReviewItem, Synced, Upload};
pub use manifest::{Manifest, ManifestError, PluginId};
