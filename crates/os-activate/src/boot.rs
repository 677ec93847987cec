//! Boot entries in systemd-boot's format, one per system generation:
//! `/boot/loader/entries/cairn-generation-<N>.conf`, with the current
//! generation as `loader.conf`'s default. Entries of generations that no
//! longer exist are removed.

use std::io;
use std::path::{Path, PathBuf};

use cairn_generations::Generations;

use crate::root::{MachineRoot, atomic_write};
use crate::toplevel::Toplevel;

/// Why the boot entries could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{action} {}", path.display())]
pub struct BootError {
    /// What was being done.
    pub action: &'static str,
    /// The machine path.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: io::Error,
}

const ENTRIES: &str = "/boot/loader/entries";
const PREFIX: &str = "cairn-generation-";

/// The file name of generation `number`'s entry.
pub fn entry_name(number: u64) -> String {
    format!("{PREFIX}{number}.conf")
}

/// The text of one entry.
pub fn entry_text(number: u64, toplevel: &Toplevel) -> String {
    let mut text = format!(
        "title cairn\nversion Generation {number} {}\n",
        toplevel.version()
    );
    // A kernel or initrd that the toplevel links to and that exists.
    for (member, key) in [("kernel", "linux"), ("initrd", "initrd")] {
        if toplevel.host(member).is_ok_and(|target| target.exists()) {
            let path = toplevel.path().join(member);
            text.push_str(&format!("{key} {}\n", path.display()));
        }
    }
    let params = toplevel.kernel_params().unwrap_or_default();
    let init = format!("init={}/init", toplevel.path().display());
    let options = if params.is_empty() {
        init
    } else {
        format!("{init} {params}")
    };
    text.push_str(&format!("options {options}\n"));
    text
}

/// Writes an entry for every generation in `generations` whose toplevel
/// can be read, makes `default` the default, and removes other entries.
pub fn write_entries(
    root: &MachineRoot,
    generations: &Generations,
    default: u64,
) -> Result<Vec<u64>, BootError> {
    let dir = root.host_path(Path::new(ENTRIES));
    let fail = |action: &'static str, path: &str| {
        let path = PathBuf::from(path);
        move |source| BootError {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(&dir).map_err(fail("creating", ENTRIES))?;
    let mut written = Vec::new();
    for generation in &generations.list {
        let Ok(toplevel) = Toplevel::open(root, &generation.path_in(root)) else {
            continue;
        };
        let name = entry_name(generation.number);
        atomic_write(
            &dir.join(&name),
            entry_text(generation.number, &toplevel).as_bytes(),
            0o644,
        )
        .map_err(fail("writing", ENTRIES))?;
        written.push(generation.number);
    }
    for entry in std::fs::read_dir(&dir).map_err(fail("reading", ENTRIES))? {
        let entry = entry.map_err(fail("reading", ENTRIES))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let number = name
            .strip_prefix(PREFIX)
            .and_then(|n| n.strip_suffix(".conf"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(number) = number
            && !written.contains(&number)
        {
            std::fs::remove_file(entry.path()).map_err(fail("removing", ENTRIES))?;
        }
    }
    let loader = root.host_path(Path::new("/boot/loader/loader.conf"));
    atomic_write(
        &loader,
        format!("timeout 5\ndefault {}\n", entry_name(default)).as_bytes(),
        0o644,
    )
    .map_err(fail("writing", "/boot/loader/loader.conf"))?;
    Ok(written)
}

/// A generation link's path as the machine sees it.
trait MachinePath {
    fn path_in(&self, root: &MachineRoot) -> PathBuf;
}

impl MachinePath for cairn_generations::Generation {
    fn path_in(&self, root: &MachineRoot) -> PathBuf {
        Path::new("/").join(self.path.strip_prefix(root.dir()).unwrap_or(&self.path))
    }
}
