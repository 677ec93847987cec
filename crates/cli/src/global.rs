//! Options shared by every subcommand.

use std::path::PathBuf;

/// Options every subcommand understands.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalOptions {
    /// Use the chroot store under ROOT: the store directory stays `/nix/store`,
    /// its files live under ROOT/nix/store and its state under ROOT/nix/var/nix.
    #[arg(
        long,
        global = true,
        value_name = "ROOT",
        env = "CAIRN_STORE",
        default_value = "/"
    )]
    pub store: PathBuf,
    /// Say more about what is happening (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Print only results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}
