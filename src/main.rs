//! Native entry point: flags, logging, the one tokio runtime, the window.

use std::process::ExitCode;
use std::time::Duration;

use pakchat::backend::{Argon2Params, BackendConfig, Runtime, StoreLocation, start};
use pakchat::cli::{self, Cli, USAGE};
use pakchat::ui::PakApp;

fn init_logging() {
    // PAKCHAT_LOG=debug for more; never logs message text or keys.
    let level = match std::env::var("PAKCHAT_LOG").as_deref() {
        Ok("trace") => tracing::Level::TRACE,
        Ok("debug") => tracing::Level::DEBUG,
        Ok("info") => tracing::Level::INFO,
        Ok("error") => tracing::Level::ERROR,
        _ => tracing::Level::WARN,
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_max_level(level).with_ansi(ansi).with_writer(std::io::stderr).init();
}

fn fail(message: &str) -> ExitCode {
    #[expect(clippy::print_stderr, reason = "the user needs to see why the app did not start")]
    {
        eprintln!("pakchat: {message}");
    }
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let started = web_time::Instant::now();
    let options = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Cli::Run(options)) => options,
        Ok(Cli::Help) => {
            #[expect(clippy::print_stdout, reason = "--help prints to stdout")]
            {
                print!("{USAGE}");
            }
            return ExitCode::SUCCESS;
        }
        Ok(Cli::Version) => {
            #[expect(clippy::print_stdout, reason = "--version prints to stdout")]
            {
                println!("pakchat {}", env!("CARGO_PKG_VERSION"));
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(&format!("{e}\n\n{USAGE}")),
    };
    init_logging();
    let profile_dir = match options.profile_dir() {
        Ok(dir) => dir,
        Err(e) => return fail(&e),
    };
    // Pak.Chat already runs on this profile: it opens a window instead.
    if pakchat::backend::instance::hand_over(&profile_dir) {
        tracing::info!("handed over to the running instance");
        #[expect(clippy::print_stderr, reason = "the user should know where the window went")]
        {
            eprintln!("pakchat: Pak.Chat already runs on this profile; it opened a new window.");
        }
        return ExitCode::SUCCESS;
    }
    let tokio = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("pakchat-bg")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the background runtime: {e}")),
    };
    let runtime = Runtime::new(tokio.handle().clone());
    // Off the UI thread: code highlighting's syntax tables.
    tokio.spawn_blocking(pakchat::ui::markdown::preload);
    let config = BackendConfig {
        location: StoreLocation::Directory(profile_dir),
        key_file: options.key_file,
        argon2: Argon2Params::default(),
        use_keychain: true,
        retry: pakchat::providers::RetryPolicy::default(),
        picker: pakchat::backend::FilePicker::System,
    };
    let native_options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Pak.Chat")
            .with_app_id("pak.chat")
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([480.0, 360.0]),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    let mut stopped = None;
    let result = eframe::run_native(
        "Pak.Chat",
        native_options,
        Box::new(|cc| {
            let ctx = cc.egui_ctx.clone();
            let (backend, stop) = start(&runtime, config, move || ctx.request_repaint());
            stopped = Some(stop);
            Ok(Box::new(PakApp::new(backend).with_start_time(started)))
        }),
    );
    // Let the backend write the last draft and flush before the runtime goes.
    if let Some(stopped) = stopped
        && !stopped.wait(Duration::from_secs(10))
    {
        tracing::error!("the background worker did not stop in time");
    }
    tokio.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot open a window: {e}")),
    }
}
