//! The plugin lifecycle: manifests, validation of a component, installation
//! and activation.

pub mod first_party;
pub mod install;
pub mod manifest;
pub mod validate;

pub use install::{InstallError, Installer};
pub use manifest::{Manifest, ManifestError, PluginId};
