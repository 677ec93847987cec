//! `cargo xtask man`: manual pages rendered from the CLI's own definitions,
//! so they can never drift from `cairn --help`.

use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

pub fn render(out: &Path) -> anyhow::Result<()> {
    let out = crate::workspace_root().join(out);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let command = cairn_cli::Cli::command();
    clap_mangen::generate_to(command, &out)
        .with_context(|| format!("writing manual pages into {}", out.display()))?;
    let mut pages: Vec<_> = std::fs::read_dir(&out)?
        .filter_map(|entry| entry.ok().map(|e| e.file_name()))
        .collect();
    pages.sort();
    for page in pages {
        println!("{}", out.join(page).display());
    }
    Ok(())
}
