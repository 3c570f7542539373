//! Host-side bindings of the `onewindow:platform` WIT package (`wit/`),
//! shared by the runtime (which calls `handle`) and the capabilities
//! (which implement the imports).

wasmtime::component::bindgen!({
    world: "service",
    path: "../wit",
    imports: { default: async },
    exports: { default: async },
});

pub use self::onewindow::platform::types::{Caller, Error as CapabilityError, Role, Unit, UnitKind};

impl From<crate::store::units::UnitKind> for UnitKind {
    fn from(kind: crate::store::units::UnitKind) -> UnitKind {
        use crate::store::units::UnitKind as Stored;
        match kind {
            Stored::Police => UnitKind::Police,
            Stored::Community => UnitKind::Community,
            Stored::Judicial => UnitKind::Judicial,
            Stored::Partner => UnitKind::Partner,
        }
    }
}
