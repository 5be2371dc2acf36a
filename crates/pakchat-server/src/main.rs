//! `pakchat-server`: see `pakchat_server::config::USAGE` (`--help`).

use std::process::ExitCode;

use pakchat_server::config::{self, Invocation};

#[expect(clippy::print_stdout, clippy::print_stderr, reason = "help, version and start-up errors go to the terminal")]
fn main() -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let config = match config::parse(std::env::args().skip(1), &env) {
        Ok(Invocation::Run(config)) => config,
        Ok(Invocation::Help) => {
            print!("{}", config::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Version) => {
            println!("pakchat-server {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("pakchat-server: {e}");
            return ExitCode::from(2);
        }
    };
    // Colours only on a terminal: journald and files get plain lines.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_max_level(config.log)
        .with_target(false)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pakchat-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pakchat-server: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(config: &config::Config) -> Result<(), String> {
    let state = pakchat_server::state(config).await?;
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.map_err(|e| format!("--listen {}: {e}", config.listen))?;
    let listen = listener.local_addr().map_err(|e| format!("--listen {}: {e}", config.listen))?;
    let backend = state.db.backend();
    let files = match &config.s3 {
        Some(s3) => format!("{}/{}", s3.endpoint, s3.bucket),
        None => config.data_dir.join("chunks").display().to_string(),
    };
    let origins = config.allowed_origins.join(",");
    let relay = config.relay_origins.join(",");
    tracing::info!(
        %listen, database = ?backend, %files, issuer = %config.issuer, allowed_origins = %origins,
        relay_origins = %relay, "pakchat-server ready"
    );
    pakchat_server::serve(listener, state, shutdown()).await.map_err(|e| e.to_string())?;
    tracing::info!("pakchat-server stopped");
    Ok(())
}

/// Ctrl+C or SIGTERM.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(err = %e, "SIGTERM cannot be caught; Ctrl+C still stops the server");
                if let Err(e) = interrupt.await {
                    tracing::warn!(err = %e, "Ctrl+C cannot be caught either");
                }
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    if let Err(e) = interrupt.await {
        tracing::warn!(err = %e, "Ctrl+C cannot be caught");
    }
}
