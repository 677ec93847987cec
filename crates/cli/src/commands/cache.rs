//! `cairn cache …`: signing keys and serving the store as a binary cache.

use std::path::PathBuf;

use anyhow::Context;
use cairn_cache::SecretKey;
use cairn_cache::serve::{CacheServer, ServeOptions};
use cairn_store::local::LocalStoreConfig;

use crate::{Failure, GlobalOptions};

/// Binary-cache keys and serving.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Make a signing key pair in Nix's format
    /// (as `nix-store --generate-binary-cache-key`).
    Keygen {
        /// The key's name, e.g. `cache.example.org-1`.
        name: String,
        /// Where to write the secret key (created with mode 0600).
        secret_file: PathBuf,
        /// Where to write the public key.
        public_file: PathBuf,
    },
    /// Serve the store as a binary cache over HTTP (as `nix-serve`).
    Serve {
        /// The address to listen on.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:5000")]
        listen: String,
        /// Sign narinfos with this secret key.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// The priority announced in nix-cache-info (lower is preferred).
        #[arg(long, value_name = "N")]
        priority: Option<i32>,
        /// The most requests answered at once (worker threads).
        #[arg(long, value_name = "N", default_value_t = ServeOptions::default().max_concurrent)]
        workers: usize,
        /// The most connections open at once; the idle one used least
        /// recently is closed to make room for a new one.
        #[arg(long, value_name = "N", default_value_t = ServeOptions::default().max_connections)]
        max_connections: usize,
    },
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    match args.action {
        Action::Keygen {
            name,
            secret_file,
            public_file,
        } => {
            let key = SecretKey::generate(&name)?;
            write_private(&secret_file, key.to_string().as_bytes())?;
            std::fs::write(&public_file, key.to_public().to_string())
                .with_context(|| format!("writing {}", public_file.display()))?;
            Ok(())
        }
        Action::Serve {
            listen,
            key_file,
            priority,
            workers,
            max_connections,
        } => {
            let secret_key = key_file.as_deref().map(read_secret_key).transpose()?;
            let server = CacheServer::bind(
                &listen,
                LocalStoreConfig::chroot(&global.store),
                ServeOptions {
                    secret_key,
                    priority,
                    max_concurrent: workers,
                    max_connections,
                    ..ServeOptions::default()
                },
            )?;
            if !global.quiet {
                let addr = server
                    .local_addr()
                    .map_or_else(|| listen.clone(), |a| a.to_string());
                eprintln!("serving {} on http://{addr}", global.store.display());
            }
            server.run();
            Ok(())
        }
    }
}

/// Reads a secret key file (`name:base64`, as Nix writes it).
pub(crate) fn read_secret_key(path: &std::path::Path) -> anyhow::Result<SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the secret key {}", path.display()))?;
    text.parse()
        .with_context(|| format!("the secret key in {}", path.display()))
}

/// Writes a file only its owner can read, created afresh.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}
