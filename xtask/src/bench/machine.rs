//! A one-line description of the machine the figures came from.

pub fn describe() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {memory_gib:.1} GiB, Linux {}",
        kernel.trim()
    )
}

/// The type of the filesystem `dir` is on, and whether an ext4 one has a
/// journal (without one, creating files right after deleting many is
/// slow, which dominates the store workloads' times).
pub fn filesystem(dir: &std::path::Path) -> String {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return "unknown filesystem".to_owned();
    };
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    // The mount point that is the longest prefix of `dir`.
    let mount = mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let device = fields.next()?;
            let point = fields.next()?;
            let kind = fields.next()?;
            dir.starts_with(point).then_some((device, point, kind))
        })
        .max_by_key(|(_, point, _)| point.len());
    let Some((device, point, kind)) = mount else {
        return "unknown filesystem".to_owned();
    };
    let journal = match kind {
        "ext4" => match ext4_has_journal(device) {
            Some(true) => ", with a journal",
            Some(false) => ", without a journal",
            None => "",
        },
        _ => "",
    };
    format!("{kind}{journal} on {device}, mounted at {point}")
}

/// Whether the ext4 filesystem on `device` has a journal: the kernel lists
/// each running journal under /proc/fs/jbd2 as `<device>-<inode>`.
fn ext4_has_journal(device: &str) -> Option<bool> {
    let name = device.rsplit('/').next()?;
    let journals = std::fs::read_dir("/proc/fs/jbd2").ok()?;
    let prefix = format!("{name}-");
    Some(journals.flatten().any(|journal| {
        journal
            .file_name()
            .to_str()
            .is_some_and(|journal| journal.starts_with(&prefix))
    }))
}
