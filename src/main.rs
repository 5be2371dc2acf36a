//! Native entry point: flags, logging, the one tokio runtime, the window.

use std::process::ExitCode;
use std::time::Duration;

use pakchat::backend::{Argon2Params, BackendConfig, Runtime, StoreLocation, start};
use pakchat::cli::{self, Cli, USAGE};
use pakchat::ui::PakApp;

/// Memory is freed through [`pakchat::zeroing_alloc::ZeroingAlloc`]: it
/// zeroes freed blocks once kiosk mode turns it on, so a wiped guest
/// session leaves none of its words behind.
#[global_allocator]
static ALLOCATOR: pakchat::zeroing_alloc::ZeroingAlloc = pakchat::zeroing_alloc::ZeroingAlloc;

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

/// `--hash-pin`: a PIN on standard input, its Argon2id hash on standard output.
fn hash_pin() -> ExitCode {
    let mut pin = zeroize::Zeroizing::new(String::new());
    if let Err(e) = std::io::stdin().read_line(&mut pin) {
        return fail(&format!("cannot read the PIN: {e}"));
    }
    match pakchat::kiosk::hash_pin(pin.trim_end_matches(['\r', '\n'])) {
        Ok(hash) => {
            #[expect(clippy::print_stdout, reason = "the hash is the output")]
            {
                println!("{hash}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// `pakchat stats | import FILE | export FILE`: the result on standard
/// output, or why not on standard error with exit status 2.
fn shell(options: &pakchat::cli::RunOptions, command: &pakchat::shell::ShellCommand) -> ExitCode {
    init_logging();
    let tokio = match background_runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(&e),
    };
    match pakchat::shell::run(options, command, tokio.handle()) {
        Ok(out) => {
            #[expect(clippy::print_stdout, reason = "the command's result is its output")]
            {
                println!("{out}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn background_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("pakchat-bg")
        .build()
        .map_err(|e| format!("cannot start the background runtime: {e}"))
}

/// Kiosk mode: fullscreen, no decorations, guest sessions in memory.
fn run_kiosk(config: pakchat::kiosk::KioskConfig, started: web_time::Instant) -> ExitCode {
    let tokio = match background_runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(&e),
    };
    let runtime = Runtime::new(tokio.handle().clone());
    tokio.spawn_blocking(pakchat::ui::markdown::preload);
    let backend_config = pakchat::kiosk::backend_config(&config);
    let config = std::sync::Arc::new(config);
    let services = pakchat::kiosk::KioskServices::new(runtime.clone(), config.clone());
    let native_options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Pak.Chat")
            .with_app_id("pak.chat")
            .with_fullscreen(true)
            .with_decorations(false),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    tracing::info!(ms = started.elapsed().as_secs_f64() * 1000.0, "kiosk configuration checked");
    let result = eframe::run_native(
        "Pak.Chat",
        native_options,
        Box::new(move |_cc| {
            let factory: pakchat::ui::kiosk::BackendFactory = Box::new(move |ctx: &egui::Context| {
                let ctx = ctx.clone();
                start(&runtime, backend_config.clone(), move || ctx.request_repaint())
            });
            Ok(Box::new(pakchat::ui::kiosk::KioskApp::new(config, services, factory)))
        }),
    );
    tokio.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot open a window: {e}")),
    }
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
        Ok(Cli::HashPin) => return hash_pin(),
        Ok(Cli::Shell(options, command)) => return shell(&options, &command),
        Err(e) => return fail(&format!("{e}\n\n{USAGE}")),
    };
    init_logging();
    let system_config = std::path::Path::new(pakchat::kiosk::config::SYSTEM_CONFIG).exists();
    if let Some(path) = options.kiosk_config(system_config) {
        // A kiosk whose configuration is wrong does not start at all.
        return match pakchat::kiosk::config::load(&path) {
            Ok(config) => run_kiosk(config, started),
            Err(e) => fail(&format!("kiosk mode refused to start: {e}")),
        };
    }
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
    let tokio = match background_runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(&e),
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
        lockdown: pakchat::backend::Lockdown::default(),
        browser: None,
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
