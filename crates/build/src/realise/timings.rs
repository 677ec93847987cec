//! Where the time of a run's builds went, for `cairn build -v` and for
//! finding what to make faster.

use std::fmt;
use std::time::Duration;

use cairn_store::path::StorePath;

/// Where one build's wall-clock time went, phase by phase (`cairn build
/// -v` summarises them). In a chain of builds the phases follow each other,
/// so their sum is the build's share of the total time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildTimings {
    /// The derivation built.
    pub drv: StorePath,
    /// On the calling thread, before the builder's thread starts: output
    /// locks, temporary roots, the input closure, the build directory.
    pub prepare: Duration,
    /// The sandbox's setup, up to the builder's `execve`: its file system
    /// (skeleton, inputs in the store directory), namespaces, mounts.
    pub setup: Duration,
    /// The builder itself, from `execve` until it is reaped.
    pub builder: Duration,
    /// After the builder: the sandbox removed, the log closed.
    pub teardown: Duration,
    /// Canonicalising, scanning, hashing and flushing the outputs.
    pub outputs: Duration,
    /// On the calling thread: moving the outputs into place, flushing the
    /// store directory, the database transaction.
    pub register: Duration,
}

impl BuildTimings {
    /// Each phase's name and duration, in the order they happen.
    pub fn phases(&self) -> [(&'static str, Duration); 6] {
        [
            ("prepare", self.prepare),
            ("sandbox setup", self.setup),
            ("builder", self.builder),
            ("teardown", self.teardown),
            ("outputs", self.outputs),
            ("register", self.register),
        ]
    }
}

/// Per phase, the median, 90th percentile and total over many builds;
/// `Display` prints one line per phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimingSummary {
    /// How many builds were summarised.
    pub builds: usize,
    /// Phase name, median, 90th percentile, total.
    pub phases: Vec<(&'static str, Duration, Duration, Duration)>,
}

impl TimingSummary {
    /// Summarises `timings` (empty phases when there are none).
    pub fn of(timings: &[BuildTimings]) -> TimingSummary {
        let mut phases = Vec::new();
        if let Some(first) = timings.first() {
            for (i, (name, _)) in first.phases().into_iter().enumerate() {
                let mut values: Vec<Duration> = timings.iter().map(|t| t.phases()[i].1).collect();
                values.sort_unstable();
                let at = |q: usize| values[(values.len() - 1) * q / 100];
                phases.push((name, at(50), at(90), values.iter().sum()));
            }
        }
        TimingSummary {
            builds: timings.len(),
            phases,
        }
    }
}

impl fmt::Display for TimingSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "{} builds, per build (median / 90th percentile / total):",
            self.builds
        )?;
        for (name, median, p90, total) in &self.phases {
            write!(
                f,
                "\n  {name:<14} {:8.2} ms {:8.2} ms {:10.1} ms",
                ms(median),
                ms(p90),
                ms(total)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_takes_median_and_90th_percentile_per_phase() {
        let drv = StorePath::from_base_name("00000000000000000000000000000000-x.drv").unwrap();
        let timings: Vec<BuildTimings> = (1..=10u64)
            .map(|i| BuildTimings {
                drv: drv.clone(),
                prepare: Duration::from_millis(i),
                setup: Duration::from_millis(2 * i),
                builder: Duration::ZERO,
                teardown: Duration::ZERO,
                outputs: Duration::ZERO,
                register: Duration::ZERO,
            })
            .collect();
        let summary = TimingSummary::of(&timings);
        assert_eq!(summary.builds, 10);
        assert_eq!(
            summary.phases[0],
            (
                "prepare",
                Duration::from_millis(5),
                Duration::from_millis(9),
                Duration::from_millis(55)
            )
        );
        assert_eq!(summary.phases[1].1, Duration::from_millis(10));
        let text = summary.to_string();
        assert!(text.contains("sandbox setup"), "{text}");
        assert_eq!(text.lines().count(), 7);
        assert!(TimingSummary::of(&[]).phases.is_empty());
    }
}
