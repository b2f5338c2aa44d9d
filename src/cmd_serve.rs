//! `wasm-conform serve FILE [--addr 127.0.0.1:0]`: serves a
//! `wasi:http/service` component (one exporting `wasi:http/handler@0.3.x`)
//! or a `wasi:http/proxy` component (one exporting
//! `wasi:http/incoming-handler@0.2.x`, a fresh instance per request) on the
//! reference VM. The address it listens on goes to stderr as
//! `Serving HTTP on http://ADDR/`; each request is handled by the
//! component's `handle`; SIGINT stops it cleanly (exit status 0).
//!
//! Exit status: 0 once stopped; 134 when the component traps; 125 when it
//! cannot be served (unreadable, malformed, invalid, unlinkable, no handler
//! export, address in use).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use reference_vm::wasi::{RunError, WasiCtx};
use reference_vm::{Config, Features};

use crate::cmd_run::{LOAD_ERROR_EXIT, TRAP_EXIT};

/// Arguments of `wasm-conform serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0: a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// Let the component open network connections (wasi:http/client,
    /// wasi:sockets); serving itself needs no grant.
    #[arg(long)]
    allow_net: bool,
    /// Environment variable KEY=VALUE for the component.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// The component.
    file: PathBuf,
}

/// Runs `wasm-conform serve`.
pub fn serve(args: ServeArgs) -> u8 {
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("wasm-conform serve: {}: {e}", args.file.display());
            return LOAD_ERROR_EXIT;
        }
    };
    let listener = match std::net::TcpListener::bind(&args.addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("wasm-conform serve: {}: {e}", args.addr);
            return LOAD_ERROR_EXIT;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wasm-conform serve: {e}");
            return LOAD_ERROR_EXIT;
        }
    };
    let mut b = WasiCtx::builder()
        .arg(args.file.display().to_string())
        .inherit_stdio()
        .allow_network(args.allow_net);
    for kv in &args.env {
        let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
        b = b.env(k, v);
    }
    let ctx = b.build();
    let stop = Arc::new(AtomicBool::new(false));
    // SIGINT sets the stop request; the server finishes the request in
    // hand and returns.
    let st = stop.clone();
    let _signals = std::thread::Builder::new()
        .name("sigint".into())
        .spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let _ = rt.block_on(tokio::signal::ctrl_c());
                st.store(true, Ordering::SeqCst);
            }
        });
    eprintln!("Serving HTTP on http://{addr}/");
    let config = Config {
        features: Features {
            threads: true,
            ..Features::default()
        },
        ..Config::default()
    };
    match reference_vm::wasi::component::http::serve_component(&bytes, ctx, config, listener, stop)
    {
        Ok(r) => r.exit_code as u8,
        Err(e @ RunError::Trap { .. }) => {
            eprintln!("wasm-conform serve: {e}");
            TRAP_EXIT
        }
        Err(e) => {
            eprintln!("wasm-conform serve: {e}");
            LOAD_ERROR_EXIT
        }
    }
}
