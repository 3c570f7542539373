//! The `onewindow` command line.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub(crate) mod check;
mod client;
mod dev;
mod output;
mod remote;
mod upload_files;

use output::{errln, outln};
use remote::{AuditCommand, PluginCommand, Remote, StaffCommand, UnitCommand};

use crate::auth::password;
use crate::config::{Config, Overrides};
use crate::startup::{Application, shutdown_signal};
use crate::store::Store;
use crate::store::accounts::{self, NewAccount, Role};
use crate::telemetry::LogFormat;

/// Onewindow: one window for a city's public services.
#[derive(Parser)]
#[command(name = "onewindow", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform.
    Serve(ServeArgs),
    /// Serve one plugin directory locally, with a throw-away database and a
    /// signed-in test resident and staff member (tokens printed).
    Dev {
        /// A directory with plugin.toml and plugin.wasm.
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// The unit of the test staff member.
        #[arg(long, default_value = "police-central")]
        unit: String,
    },
    /// Manage admin accounts directly in the database.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Sign in to a running host and save the token (password from stdin).
    Login {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Who the token signs in as: username, role and unit.
    Me {
        #[command(flatten)]
        remote: Remote,
    },
    /// Upload, review and manage plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
        #[command(flatten)]
        remote: Remote,
    },
    /// List units (admins see all, staff their own) and create them (admins).
    Unit {
        #[command(subcommand)]
        command: UnitCommand,
        #[command(flatten)]
        remote: Remote,
    },
    /// Create staff accounts (admins).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
        #[command(flatten)]
        remote: Remote,
    },
    /// Keys of the shared record's sensitive columns (on the host's machine).
    #[command(subcommand)]
    Records(RecordsCommand),
    /// Read and verify the audit trail (admins).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
        #[command(flatten)]
        remote: Remote,
    },
}

/// Key rotation for sealed columns (see the README, "Keys for sensitive columns").
#[derive(Subcommand)]
enum RecordsCommand {
    /// Print a new `seal` line to append to the key file (the next id).
    NewKey {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Re-seal every value still under an older key, so that key can be removed.
    Reseal {
        #[command(flatten)]
        config: ConfigArgs,
    },
}

/// Where the configuration comes from.
#[derive(Args, Clone)]
struct ConfigArgs {
    /// A TOML configuration file (default: ./onewindow.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Database URL: `sqlite://path` or `postgres://...` [env: ONEWINDOW_DATABASE]
    #[arg(long)]
    database: Option<String>,
    /// Directory for the database and compiled plugins [env: ONEWINDOW_DATA_DIR; default: ./data]
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Address to listen on [env: ONEWINDOW_LISTEN; default: 127.0.0.1:8080]
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// A directory of first-party plugins to install on start (repeatable).
    #[arg(long = "first-party")]
    first_party: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account; prints a generated password unless --password-stdin.
    Create {
        #[command(flatten)]
        config: ConfigArgs,
        /// The admin's username.
        #[arg(long)]
        username: String,
        /// The name to show.
        #[arg(long, default_value = "Platform admin")]
        display_name: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Runs the CLI and turns any error into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init(log_format(&cli));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Dev { dir, listen, unit } => dev::run(&dir, listen, &unit).await,
        Command::Admin(AdminCommand::Create { config, username, display_name, password_stdin }) => {
            create_admin(config, &username, &display_name, password_stdin).await
        }
        Command::Login { username, remote } => remote::login(remote, &username).await,
        Command::Me { remote } => remote::me(remote).await,
        Command::Plugin { command, remote } => remote::plugin(remote, command).await,
        Command::Unit { command, remote } => remote::unit(remote, command).await,
        Command::Staff { command, remote } => remote::staff(remote, command).await,
        Command::Audit { command, remote } => remote::audit(remote, command).await,
        Command::Records(command) => records(command).await,
    }
}

/// The `log.format` setting of `serve`; the other commands log little
/// and use `auto`. A configuration that fails to load is reported by
/// `serve` itself, after logging is up.
fn log_format(cli: &Cli) -> LogFormat {
    match &cli.command {
        Command::Serve(args) => load_config(args.config.clone(), args.listen, args.first_party.clone())
            .map(|config| config.log.format)
            .unwrap_or_default(),
        _ => LogFormat::Auto,
    }
}

fn load_config(
    args: ConfigArgs,
    listen: Option<std::net::SocketAddr>,
    first_party: Vec<PathBuf>,
) -> anyhow::Result<Config> {
    let overrides = Overrides { listen, database: args.database, data_dir: args.data_dir, first_party };
    Config::load(args.config.as_deref(), overrides)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = load_config(args.config, args.listen, args.first_party)?;
    let app = Application::build(config).await?;
    let address = app.local_addr();
    if let Some(admin) = app.initial_admin() {
        outln!();
        outln!("  First start: an admin account was created. This password is shown only once.");
        outln!("    username: {}", admin.username);
        outln!("    password: {}", admin.password);
        outln!();
    }
    outln!("Onewindow is serving on http://{address}  (API docs: http://{address}/api/docs)");
    app.run_until(shutdown_signal()).await
}

async fn records(command: RecordsCommand) -> anyhow::Result<()> {
    use crate::records::sealing::Keyring;
    let (RecordsCommand::NewKey { config } | RecordsCommand::Reseal { config }) = &command;
    let config = load_config(config.clone(), None, Vec::new())?;
    let keyring = Keyring::load(&config.data_dir)?;
    match command {
        RecordsCommand::NewKey { .. } => {
            outln!("{}", Keyring::generate_key_line(keyring.current_key_id() + 1));
            errln!("append this line to {} and restart; then run `onewindow records reseal`", keyring.origin());
        }
        RecordsCommand::Reseal { .. } => {
            let store = Store::connect(&config.database_url(), 2).await?;
            let done = crate::records::reseal::reseal_all(&store, &keyring).await?;
            outln!(
                "re-sealed {} value(s) under key {}; {} already were",
                done.resealed,
                keyring.current_key_id(),
                done.current
            );
            store.close().await;
        }
    }
    Ok(())
}

async fn create_admin(
    args: ConfigArgs,
    username: &str,
    display_name: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let config = load_config(args, None, Vec::new())?;
    crate::data_dir::open(&config.data_dir)?;
    let secret = if password_stdin {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        let input = input.trim_end_matches(['\r', '\n']).to_owned();
        password::check_strength(&input).map_err(|p| anyhow::anyhow!("password {p}"))?;
        input
    } else {
        password::generate()
    };
    let username = crate::auth::fields::username(username).map_err(|p| anyhow::anyhow!("username {p}"))?;
    let store = Store::connect(&config.database_url(), 2).await?;
    let store = crate::startup::keyed_audit_trail(store, &config.data_dir).await?;
    crate::store::units::seed_defaults(&store).await?;
    let hash = password::hash(&secret);
    let new = NewAccount { username: &username, display_name, role: Role::Admin, unit_id: None, password_hash: &hash };
    let mut tx = store.pool().begin().await?;
    let account = accounts::create(&mut tx, new).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::startup::record_admin_created(&store, &mut tx, &account, "onewindow admin create").await?;
    tx.commit().await?;
    outln!("created admin {} ({})", account.username, account.id);
    if !password_stdin {
        outln!("password: {secret}");
    }
    store.close().await;
    Ok(())
}
