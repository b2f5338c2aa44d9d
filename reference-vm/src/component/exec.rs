//! Instantiation and execution of components (Explainer.md,
//! "Instantiation"; CanonicalABI.md, "Canonical Definitions"). (Being written.)

use std::fmt;
use std::sync::Arc;

use super::syntax::Component;
use super::types::Value;
use crate::Config;

/// A component instance created by [`Runtime::instantiate`].
pub type InstanceId = u32;

/// A trap while running a component. `Display` is the reference tests'
/// message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A trap in core code (or a core limit: fuel, stack).
    Core(crate::exec::Trap),
    /// A trap the component model defines (Canonical ABI, handles, reentrance),
    /// with its message.
    Component(String),
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Core(t) => t.fmt(f),
            Trap::Component(s) => f.write_str(s),
        }
    }
}

/// Why a component could not be instantiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// An import is missing or does not match (`Display`: the message).
    Unlinkable(String),
    /// Instantiation trapped (a core start function, a component start).
    Trap(Trap),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unlinkable(s) => f.write_str(s),
            Error::Trap(t) => t.fmt(f),
        }
    }
}

/// The component store: core store, component instances, handle tables,
/// and the names registered for later instantiations to import.
pub struct Runtime {
    config: Config,
}

impl Runtime {
    /// An empty runtime; `config` applies to the core store.
    pub fn new(config: Config) -> Runtime {
        Runtime { config }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Sets the fuel of the core store.
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.config.fuel = fuel;
    }

    /// Instantiates a validated component; its imports are resolved by name
    /// against the instances [`Runtime::register`]ed so far.
    pub fn instantiate(&mut self, component: &Arc<Component>) -> Result<InstanceId, Error> {
        let _ = component;
        Err(Error::Unlinkable(
            "component instantiation is not implemented yet".into(),
        ))
    }

    /// Makes an instance importable under `name` by later instantiations.
    pub fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), String> {
        let _ = (name, instance);
        Err("component instantiation is not implemented yet".into())
    }

    /// Calls an exported component function with component values;
    /// returns its result (none or one value).
    pub fn invoke(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Value],
    ) -> Result<Vec<Value>, Trap> {
        let _ = (instance, name, args);
        Err(Trap::Component(
            "component instantiation is not implemented yet".into(),
        ))
    }
}
