//! Command-line flags of the native app.

use std::path::PathBuf;

/// What the user asked for on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cli {
    /// Run the app.
    Run(RunOptions),
    /// Print help and exit.
    Help,
    /// Print the version and exit.
    Version,
    /// Read a PIN on standard input and print its Argon2id hash (for a
    /// kiosk configuration's `admin_pin_hash`).
    HashPin,
    /// A shell command on the profile (`stats`, `import FILE`, `export FILE`).
    Shell(RunOptions, crate::shell::ShellCommand),
}

/// Options for running the app.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Folder that holds the profiles (`--data-dir`).
    pub data_dir: Option<PathBuf>,
    /// Profile name (`--profile`), default `default`.
    pub profile: String,
    /// Key file to create or unlock with, no prompt (`--key-file`).
    pub key_file: Option<PathBuf>,
    /// Kiosk mode (`--kiosk`).
    pub kiosk: bool,
    /// The kiosk configuration (`--kiosk-config`; implies `--kiosk`).
    pub kiosk_config: Option<PathBuf>,
}

impl RunOptions {
    /// The profile's folder: `<data dir>/profiles/<name>`.
    ///
    /// # Errors
    /// When no data dir is given and the platform has none.
    pub fn profile_dir(&self) -> Result<PathBuf, String> {
        let base = match &self.data_dir {
            Some(dir) => dir.clone(),
            None => dirs::data_dir()
                .map(|d| d.join("pakchat"))
                .ok_or("this system has no data folder; pass --data-dir PATH")?,
        };
        Ok(base.join("profiles").join(&self.profile))
    }

    /// The kiosk configuration to start with, if this is a kiosk: the one
    /// named, else the system-wide one when `--kiosk` is given or when that
    /// file exists (its presence alone makes the machine a kiosk).
    #[must_use]
    pub fn kiosk_config(&self, system_config_exists: bool) -> Option<PathBuf> {
        let system = || PathBuf::from(crate::kiosk::config::SYSTEM_CONFIG);
        match &self.kiosk_config {
            Some(path) => Some(path.clone()),
            None if self.kiosk || system_config_exists => Some(system()),
            None => None,
        }
    }
}

/// The `--help` text.
pub const USAGE: &str = "\
Pak.Chat — a fast, private AI chat client

Usage: pakchat [OPTIONS]
       pakchat [OPTIONS] stats | import FILE | export FILE
       pakchat [OPTIONS] account sign-in --server URL | status | sign-out | join
       pakchat [OPTIONS] account devices | remove-device ID | rename-device NAME
       pakchat [OPTIONS] sync [--files]
       pakchat [OPTIONS] share TITLE [--days N] | --list | --revoke ID

Commands (on the same profile as the app, without a window):
  stats                 Count the chats, messages and attachments, and the
                        bytes the profile takes on disk
  import FILE           Import a Pak.Chat archive or a ChatGPT
                        conversations.json
  export FILE           Export every chat as a Pak.Chat archive
  account sign-in --server URL [--client-id ID]
                        Sign in to a Pak.Chat server through your browser
                        ($BROWSER first; the address is also printed)
  account status        Who is signed in, checked with the server
  account sign-out      Sign out here and at the server
  account join [--recovery-code-file F]
                        Get the account's sync key with its recovery code
                        (from F, or standard input)
  account devices       The account's signed-in devices: id, last seen, name
  account remove-device ID
                        Sign another device out (a lost laptop); its chats
                        stay on it
  account rename-device NAME
                        Rename this device (the others see it after a sync)
  sync                  Send this device's changes to the account's server
                        and take in other devices'; the first device makes
                        the account's key and prints its recovery code once.
                        Exit 0 when nothing is left waiting. With --files,
                        also download every file other devices attached
                        (otherwise each comes when it is opened or sent)
  share TITLE [--days N]
                        Print a read-only link to a copy of the chat titled
                        TITLE (the branch the app shows; not its files),
                        sealed with a key only the link holds; it opens for
                        N days, or until revoked
  share --list          The account's links: id, state, chat, link
  share --revoke ID     Stop a link opening; the server drops its copy
  A passphrase-protected profile reads its passphrase from PAKCHAT_PASSPHRASE.

Options:
      --data-dir PATH   Folder for profiles (default: your data folder/pakchat)
      --profile NAME    Profile to open (default: default); letters, digits, - and _
      --key-file PATH   Protect or unlock the profile with this key file, no prompt
      --kiosk           Kiosk mode for a shared computer, configured by
                        /etc/pakchat/kiosk.toml (its presence alone also
                        starts kiosk mode)
      --kiosk-config FILE
                        Kiosk mode with this configuration
      --hash-pin        Read a PIN on standard input, print its hash for
                        admin_pin_hash
  -h, --help            Print this help
  -V, --version         Print the version
";

fn valid_profile(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parse the arguments after the program name.
///
/// # Errors
/// A message naming the bad argument.
pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, String> {
    use crate::shell::{AccountCommand, ShellCommand};
    let mut options = RunOptions { profile: "default".to_owned(), ..RunOptions::default() };
    let mut command = None;
    let (mut server, mut client_id, mut code_file) = (None, None, None);
    let mut files = false;
    let mut days = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg.into_string().map_err(|a| format!("argument {a:?} is not valid text"))?;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<std::ffi::OsString, String> {
            match &inline {
                Some(v) => Ok(v.into()),
                None => args.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Cli::Help),
            "-V" | "--version" => return Ok(Cli::Version),
            "--hash-pin" => return Ok(Cli::HashPin),
            "--kiosk" => options.kiosk = true,
            "--kiosk-config" => options.kiosk_config = Some(value("--kiosk-config")?.into()),
            "--data-dir" => options.data_dir = Some(value("--data-dir")?.into()),
            "--key-file" => options.key_file = Some(value("--key-file")?.into()),
            "--profile" => {
                let name = value("--profile")?.into_string().map_err(|_| "--profile must be text".to_owned())?;
                if !valid_profile(&name) {
                    return Err(format!("profile name {name:?} may only use letters, digits, - and _ (at most 64)"));
                }
                options.profile = name;
            }
            "stats" | "import" | "export" if command.is_none() => {
                let mut file = || -> Result<PathBuf, String> {
                    args.next().map(PathBuf::from).ok_or_else(|| format!("{flag} needs a FILE"))
                };
                command = Some(match flag.as_str() {
                    "stats" => crate::shell::ShellCommand::Stats,
                    "import" => crate::shell::ShellCommand::Import(file()?),
                    _ => crate::shell::ShellCommand::Export(file()?),
                });
            }
            "sync" if command.is_none() => command = Some(crate::shell::ShellCommand::Sync { files: false }),
            "--files" => files = true,
            "share" if command.is_none() => command = Some(ShellCommand::Share(share_command(&mut args)?)),
            "--days" => {
                let text = value("--days")?.into_string().map_err(|_| "--days must be a number".to_owned())?;
                let n: u32 = text.parse().ok().filter(|n| (1..=3650).contains(n)).ok_or("--days takes 1 to 3650")?;
                days = Some(n);
            }
            "account" if command.is_none() => {
                command = Some(crate::shell::ShellCommand::Account(account_command(&mut args)?));
            }
            "--server" => server = Some(value("--server")?.into_string().map_err(|_| "--server must be text")?),
            "--recovery-code-file" => code_file = Some(PathBuf::from(value("--recovery-code-file")?)),
            "--client-id" => {
                client_id = Some(value("--client-id")?.into_string().map_err(|_| "--client-id must be text")?);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if let Some(ShellCommand::Account(AccountCommand::SignIn { server: s, client_id: c })) = &mut command {
        *s = server.take().ok_or("account sign-in needs --server URL")?;
        *c = client_id.take();
    }
    if server.is_some() || client_id.is_some() {
        return Err("--server and --client-id go with account sign-in".to_owned());
    }
    if let Some(ShellCommand::Account(AccountCommand::Join { code_file: f })) = &mut command {
        *f = code_file.take();
    }
    if code_file.is_some() {
        return Err("--recovery-code-file goes with account join".to_owned());
    }
    match &mut command {
        Some(ShellCommand::Sync { files: f }) => *f = files,
        _ if files => return Err("--files goes with sync".to_owned()),
        _ => {}
    }
    match &mut command {
        Some(ShellCommand::Share(crate::shell::ShareCommand::Make { days: d, .. })) => *d = days,
        _ if days.is_some() => return Err("--days goes with share TITLE".to_owned()),
        _ => {}
    }
    Ok(match command {
        Some(command) => Cli::Shell(options, command),
        None => Cli::Run(options),
    })
}

/// The words after `share`: `--list`, `--revoke ID`, or a chat's TITLE
/// (its `--days` is filled in by [`parse`]).
fn share_command(args: &mut impl Iterator<Item = std::ffi::OsString>) -> Result<crate::shell::ShareCommand, String> {
    use crate::shell::ShareCommand;
    let mut word = || args.next().and_then(|w| w.into_string().ok());
    match word().as_deref() {
        Some("--list") => Ok(ShareCommand::List),
        Some("--revoke") => Ok(ShareCommand::Revoke { id: word().ok_or("share --revoke needs the link's ID")? }),
        Some(title) if !title.starts_with("--") => Ok(ShareCommand::Make { title: title.to_owned(), days: None }),
        _ => Err("share needs one of: TITLE [--days N], --list, --revoke ID".to_owned()),
    }
}

/// The words after `account`; sign-in's `--server` and `--client-id` are
/// filled in by [`parse`].
fn account_command(
    args: &mut impl Iterator<Item = std::ffi::OsString>,
) -> Result<crate::shell::AccountCommand, String> {
    use crate::shell::AccountCommand;
    let mut word = || args.next().and_then(|w| w.into_string().ok());
    match word().as_deref() {
        Some("devices") => Ok(AccountCommand::Devices),
        Some("remove-device") => Ok(AccountCommand::RemoveDevice {
            id: word().ok_or("account remove-device needs the device's ID (account devices lists them)")?,
        }),
        Some("rename-device") => {
            Ok(AccountCommand::RenameDevice { name: word().ok_or("account rename-device needs a NAME")? })
        }
        Some("status") => Ok(AccountCommand::Status),
        Some("sign-out") => Ok(AccountCommand::SignOut),
        Some("sign-in") => Ok(AccountCommand::SignIn { server: String::new(), client_id: None }),
        Some("join") => Ok(AccountCommand::Join { code_file: None }),
        _ => Err("account needs one of: sign-in --server URL, status, sign-out, join, devices, remove-device ID, \
                  rename-device NAME"
            .to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Cli, String> {
        parse(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn flags_are_parsed_in_both_spellings() {
        let Ok(Cli::Run(o)) = p(&["--data-dir", "/tmp/x", "--profile=work", "--key-file=/k"]) else { panic!() };
        assert_eq!(o.data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(o.profile, "work");
        assert_eq!(o.key_file, Some(PathBuf::from("/k")));
        assert_eq!(o.profile_dir().unwrap(), PathBuf::from("/tmp/x/profiles/work"));
        assert_eq!(p(&["--help"]), Ok(Cli::Help));
        assert_eq!(p(&["-V"]), Ok(Cli::Version));
        let Ok(Cli::Run(o)) = p(&["--kiosk-config", "/k.toml"]) else { panic!() };
        assert_eq!(o.kiosk_config(false), Some(PathBuf::from("/k.toml")), "a named config implies kiosk mode");
        let Ok(Cli::Run(o)) = p(&["--kiosk"]) else { panic!() };
        assert_eq!(o.kiosk_config(false), Some(PathBuf::from("/etc/pakchat/kiosk.toml")));
        let Ok(Cli::Run(o)) = p(&[]) else { panic!() };
        assert_eq!(o.kiosk_config(false), None);
        assert_eq!(o.kiosk_config(true), Some(PathBuf::from("/etc/pakchat/kiosk.toml")), "the system file alone");
    }

    #[test]
    fn shell_commands_take_the_profile_options_before_or_after() {
        use crate::shell::ShellCommand;
        let Ok(Cli::Shell(o, ShellCommand::Import(f))) = p(&["--data-dir", "/d", "import", "c.json", "--key-file=/k"])
        else {
            panic!()
        };
        assert_eq!((o.data_dir, o.key_file, f), (Some("/d".into()), Some("/k".into()), PathBuf::from("c.json")));
        assert!(matches!(p(&["stats"]), Ok(Cli::Shell(_, ShellCommand::Stats))));
        assert!(matches!(p(&["export", "out.json"]), Ok(Cli::Shell(_, ShellCommand::Export(_)))));
        assert_eq!(p(&["import"]), Err("import needs a FILE".to_owned()));
        assert_eq!(p(&["stats", "stats"]), Err("unknown argument \"stats\"".to_owned()), "one command");
        let Ok(Cli::Shell(o, ShellCommand::Account(a))) =
            p(&["account", "sign-in", "--server", "http://s", "--data-dir=/d", "--client-id=c"])
        else {
            panic!()
        };
        let expected =
            crate::shell::AccountCommand::SignIn { server: "http://s".to_owned(), client_id: Some("c".to_owned()) };
        assert_eq!((a, o.data_dir), (expected, Some("/d".into())));
        assert!(matches!(p(&["account", "status"]), Ok(Cli::Shell(_, ShellCommand::Account(_)))));
        assert_eq!(p(&["account", "sign-in"]), Err("account sign-in needs --server URL".to_owned()));
        assert!(p(&["account", "dance"]).unwrap_err().starts_with("account needs one of"));
        assert!(p(&["stats", "--server", "x"]).unwrap_err().contains("go with account sign-in"));
        let Ok(Cli::Shell(_, ShellCommand::Share(s))) = p(&["share", "Trip plans", "--days", "7"]) else { panic!() };
        assert_eq!(s, crate::shell::ShareCommand::Make { title: "Trip plans".to_owned(), days: Some(7) });
        assert!(matches!(p(&["share", "--list"]), Ok(Cli::Shell(_, ShellCommand::Share(_)))));
        assert_eq!(p(&["share", "--list", "--days", "2"]), Err("--days goes with share TITLE".to_owned()));
        assert_eq!(p(&["share", "T", "--days", "0"]), Err("--days takes 1 to 3650".to_owned()));
        assert!(p(&["share"]).unwrap_err().starts_with("share needs one of"));
    }

    #[test]
    fn bad_arguments_are_named() {
        assert_eq!(p(&["--frob"]), Err("unknown argument \"--frob\"".to_owned()));
        assert_eq!(p(&["--data-dir"]), Err("--data-dir needs a value".to_owned()));
        assert!(p(&["--profile", "../etc"]).unwrap_err().contains("may only use"));
    }
}
