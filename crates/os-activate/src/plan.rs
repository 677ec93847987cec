//! The unit plan of a switch, computed as NixOS's `switch-to-configuration`
//! computes it from the old and the new unit files:
//!
//! - a unit only the old system has is stopped;
//! - a unit only the new system has is started when a target wants or
//!   requires it;
//! - a changed unit is reloaded when it asks for that
//!   (`X-ReloadIfChanged=true`) or when only its reload triggers changed;
//!   left alone when it may not be restarted (`X-RestartIfChanged=false`,
//!   `RefuseManualStop=true`); restarted in place with
//!   `X-StopIfChanged=false`; otherwise stopped before /etc switches and
//!   started after;
//! - an unchanged unit is left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One unit as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The unit file's text.
    pub text: String,
    /// Whether some target wants or requires it (it is started on boot).
    pub wanted: bool,
}

/// What to do with each unit.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UnitPlan {
    /// Stopped before /etc switches (removed, or changed and stopped
    /// first).
    pub stop: BTreeSet<String>,
    /// Started after /etc switches (new, or changed and stopped first).
    pub start: BTreeSet<String>,
    /// Restarted after /etc switches (changed, `X-StopIfChanged=false`).
    pub restart: BTreeSet<String>,
    /// Reloaded after /etc switches.
    pub reload: BTreeSet<String>,
    /// Changed but left running, and why.
    pub skip: BTreeMap<String, String>,
}

/// A unit file's settings: section → (key, value) in order.
type Sections = BTreeMap<String, Vec<(String, String)>>;

fn parse(text: &str) -> Sections {
    let mut sections = Sections::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_owned();
            sections.entry(current.clone()).or_default();
        } else if let Some((k, v)) = line.split_once('=') {
            sections
                .entry(current.clone())
                .or_default()
                .push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    sections
}

fn setting<'a>(sections: &'a Sections, section: &str, key: &str) -> Option<&'a str> {
    sections
        .get(section)?
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn without(mut sections: Sections, section: &str, key: &str) -> Sections {
    if let Some(entries) = sections.get_mut(section) {
        entries.retain(|(k, _)| k != key);
    }
    sections
}

/// The plan for going from `old` units to `new` units (by unit name).
pub fn plan(old: &BTreeMap<String, Unit>, new: &BTreeMap<String, Unit>) -> UnitPlan {
    let mut plan = UnitPlan::default();
    for name in old.keys().filter(|n| !new.contains_key(*n)) {
        plan.stop.insert(name.clone());
    }
    for (name, unit) in new {
        let Some(before) = old.get(name) else {
            if unit.wanted {
                plan.start.insert(name.clone());
            }
            continue;
        };
        if before.text == unit.text {
            continue;
        }
        let (a, b) = (parse(&before.text), parse(&unit.text));
        if a == b {
            continue; // only comments or spacing changed
        }
        let truthy = |v: Option<&str>| matches!(v, Some("true" | "yes" | "1" | "on"));
        let falsy = |v: Option<&str>| matches!(v, Some("false" | "no" | "0" | "off"));
        let kind = if name.ends_with(".timer") {
            "Timer"
        } else {
            "Service"
        };
        let only_reload_triggers = without(a, "Unit", "X-Reload-Triggers")
            == without(b.clone(), "Unit", "X-Reload-Triggers");
        if only_reload_triggers || truthy(setting(&b, kind, "X-ReloadIfChanged")) {
            plan.reload.insert(name.clone());
        } else if falsy(setting(&b, kind, "X-RestartIfChanged")) {
            plan.skip
                .insert(name.clone(), "restartIfChanged = false".to_owned());
        } else if truthy(setting(&b, "Unit", "RefuseManualStop")) {
            plan.skip
                .insert(name.clone(), "it refuses manual stop".to_owned());
        } else if falsy(setting(&b, kind, "X-StopIfChanged")) {
            plan.restart.insert(name.clone());
        } else {
            plan.stop.insert(name.clone());
            plan.start.insert(name.clone());
        }
    }
    plan
}

/// The units of a unit directory (a toplevel's `systemd`): each regular
/// unit file, wanted when some `*.wants`/`*.requires` directory links it.
pub fn read_units(dir: &Path) -> std::io::Result<BTreeMap<String, Unit>> {
    let mut units = BTreeMap::new();
    let mut wanted = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(units);
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(entry.path())?;
        if meta.is_dir() && (name.ends_with(".wants") || name.ends_with(".requires")) {
            for link in std::fs::read_dir(entry.path())? {
                wanted.insert(link?.file_name().to_string_lossy().into_owned());
            }
        } else if meta.is_file() {
            let text = std::fs::read_to_string(entry.path())?;
            units.insert(
                name,
                Unit {
                    text,
                    wanted: false,
                },
            );
        }
    }
    for (name, unit) in &mut units {
        unit.wanted = wanted.contains(name);
    }
    Ok(units)
}

/// Carries out unit commands: `systemctl` on a running system.
pub trait UnitControl {
    /// Runs `systemctl ARGS…`.
    fn systemctl(&mut self, args: &[&str]) -> std::io::Result<()>;
}

/// The real `systemctl`, for the running system.
#[derive(Debug, Default)]
pub struct Systemctl;

impl UnitControl for Systemctl {
    fn systemctl(&mut self, args: &[&str]) -> std::io::Result<()> {
        let status = std::process::Command::new("systemctl")
            .args(args)
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "systemctl {} failed ({status})",
                args.join(" ")
            )))
        }
    }
}

/// No units to control: a machine under another root, where nothing runs.
#[derive(Debug, Default)]
pub struct NoUnits;

impl UnitControl for NoUnits {
    fn systemctl(&mut self, _args: &[&str]) -> std::io::Result<()> {
        Ok(())
    }
}

fn run_verb(
    ctl: &mut dyn UnitControl,
    verb: &str,
    units: &BTreeSet<String>,
    failures: &mut Vec<String>,
) {
    if units.is_empty() {
        return;
    }
    let mut args = vec![verb];
    args.extend(units.iter().map(String::as_str));
    if let Err(e) = ctl.systemctl(&args) {
        failures.push(e.to_string());
    }
}

/// The part of the plan that runs before /etc switches: stopping units
/// (they are stopped with their old unit files). Failures are returned,
/// not fatal: the switch goes on, as NixOS's does.
pub fn stop_phase(plan: &UnitPlan, ctl: &mut dyn UnitControl) -> Vec<String> {
    let mut failures = Vec::new();
    run_verb(ctl, "stop", &plan.stop, &mut failures);
    failures
}

/// The part after /etc switches: systemd rereads the unit files, then
/// units are reloaded, restarted and started.
pub fn start_phase(plan: &UnitPlan, ctl: &mut dyn UnitControl) -> Vec<String> {
    let mut failures = Vec::new();
    if let Err(e) = ctl.systemctl(&["daemon-reload"]) {
        failures.push(e.to_string());
    }
    run_verb(ctl, "reload", &plan.reload, &mut failures);
    run_verb(ctl, "restart", &plan.restart, &mut failures);
    run_verb(ctl, "start", &plan.start, &mut failures);
    failures
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use super::*;

    fn units(list: &[(&str, &str, bool)]) -> BTreeMap<String, Unit> {
        list.iter()
            .map(|(n, t, w)| {
                (
                    (*n).to_owned(),
                    Unit {
                        text: (*t).to_owned(),
                        wanted: *w,
                    },
                )
            })
            .collect()
    }
    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn changed_unit_restarts_and_unchanged_is_left_alone() {
        let old = units(&[
            ("a.service", "[Service]\nExecStart=/x\n", true),
            ("b.service", "[Service]\nExecStart=/b\n", true),
        ]);
        let new = units(&[
            ("a.service", "[Service]\nExecStart=/y\n", true),
            ("b.service", "[Service]\nExecStart=/b\n", true),
        ]);
        let p = plan(&old, &new);
        assert_eq!(p.stop, set(&["a.service"]));
        assert_eq!(p.start, set(&["a.service"]));
        assert!(p.reload.is_empty() && p.restart.is_empty() && p.skip.is_empty());
    }

    #[test]
    fn reload_trigger_change_reloads() {
        let old = units(&[(
            "a.service",
            "[Unit]\nX-Reload-Triggers=1\n[Service]\nExecStart=/x\n",
            true,
        )]);
        let new = units(&[(
            "a.service",
            "[Unit]\nX-Reload-Triggers=2\n[Service]\nExecStart=/x\n",
            true,
        )]);
        assert_eq!(plan(&old, &new).reload, set(&["a.service"]));
        let new = units(&[(
            "a.service",
            "[Unit]\nX-Reload-Triggers=2\n[Service]\nExecStart=/y\n",
            true,
        )]);
        assert_eq!(plan(&old, &new).start, set(&["a.service"]));
    }

    #[test]
    fn reload_if_changed_reloads_any_change() {
        let old = units(&[(
            "a.service",
            "[Service]\nX-ReloadIfChanged=true\nExecStart=/x\n",
            true,
        )]);
        let new = units(&[(
            "a.service",
            "[Service]\nX-ReloadIfChanged=true\nExecStart=/y\n",
            true,
        )]);
        assert_eq!(plan(&old, &new).reload, set(&["a.service"]));
    }

    #[test]
    fn removed_stops_new_wanted_starts_new_unwanted_waits() {
        let old = units(&[("gone.service", "[Service]\n", true)]);
        let new = units(&[
            ("new.service", "[Service]\n", true),
            ("lazy.service", "[Service]\n", false),
        ]);
        let p = plan(&old, &new);
        assert_eq!(p.stop, set(&["gone.service"]));
        assert_eq!(p.start, set(&["new.service"]));
    }

    #[test]
    fn units_that_must_not_restart_are_skipped() {
        let old = units(&[
            (
                "a.service",
                "[Service]\nX-RestartIfChanged=false\nExecStart=/x\n",
                true,
            ),
            (
                "b.service",
                "[Unit]\nRefuseManualStop=true\n[Service]\nExecStart=/x\n",
                true,
            ),
            (
                "c.service",
                "[Service]\nX-StopIfChanged=false\nExecStart=/x\n",
                true,
            ),
        ]);
        let new = units(&[
            (
                "a.service",
                "[Service]\nX-RestartIfChanged=false\nExecStart=/y\n",
                true,
            ),
            (
                "b.service",
                "[Unit]\nRefuseManualStop=true\n[Service]\nExecStart=/y\n",
                true,
            ),
            (
                "c.service",
                "[Service]\nX-StopIfChanged=false\nExecStart=/y\n",
                true,
            ),
        ]);
        let p = plan(&old, &new);
        assert_eq!(
            p.skip.keys().cloned().collect::<BTreeSet<_>>(),
            set(&["a.service", "b.service"])
        );
        assert_eq!(p.restart, set(&["c.service"]));
        assert!(p.stop.is_empty() && p.start.is_empty());
    }

    #[test]
    fn formatting_only_changes_nothing() {
        let old = units(&[("a.service", "[Service]\nExecStart=/x\n", true)]);
        let new = units(&[(
            "a.service",
            "# comment\n[Service]\n\nExecStart = /x\n",
            true,
        )]);
        assert_eq!(plan(&old, &new), UnitPlan::default());
    }
}
