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
}

/// The `--help` text.
pub const USAGE: &str = "\
Pak.Chat — a fast, private AI chat client

Usage: pakchat [OPTIONS]

Options:
      --data-dir PATH   Folder for profiles (default: your data folder/pakchat)
      --profile NAME    Profile to open (default: default); letters, digits, - and _
      --key-file PATH   Protect or unlock the profile with this key file, no prompt
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
    let mut options = RunOptions { profile: "default".to_owned(), ..RunOptions::default() };
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
            "--data-dir" => options.data_dir = Some(value("--data-dir")?.into()),
            "--key-file" => options.key_file = Some(value("--key-file")?.into()),
            "--profile" => {
                let name = value("--profile")?.into_string().map_err(|_| "--profile must be text".to_owned())?;
                if !valid_profile(&name) {
                    return Err(format!("profile name {name:?} may only use letters, digits, - and _ (at most 64)"));
                }
                options.profile = name;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Cli::Run(options))
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
    }

    #[test]
    fn bad_arguments_are_named() {
        assert_eq!(p(&["--frob"]), Err("unknown argument \"--frob\"".to_owned()));
        assert_eq!(p(&["--data-dir"]), Err("--data-dir needs a value".to_owned()));
        assert!(p(&["--profile", "../etc"]).unwrap_err().contains("may only use"));
    }
}
