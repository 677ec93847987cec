//! Downloads over `http://` and `https://` for the fetchers (the `network`
//! feature): streamed to a file, retried with backoff when the failure may
//! pass (a refused or reset connection, a 5xx or 429 answer).

use std::path::Path;
use std::time::Duration;

/// How many times a download is tried before its failure is reported.
const ATTEMPTS: u32 = 3;

/// Writes what `url` serves to the new file `target`. The error says why,
/// in a sentence that follows "unable to download 'URL': ".
pub(super) fn download(url: &str, target: &Path) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        // As Nix's `stalled-download-timeout`.
        .timeout_per_read(Some(Duration::from_secs(300)))
        .user_agent(concat!("cairn/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut backoff = Duration::from_millis(250);
    let mut attempt = 1;
    loop {
        match try_once(&agent, url, target) {
            Ok(()) => return Ok(()),
            Err(Failure::Final(why)) => return Err(why),
            Err(Failure::Transient(why)) if attempt >= ATTEMPTS => {
                return Err(format!("{why} (after {attempt} attempts)"));
            }
            Err(Failure::Transient(_)) => {
                std::thread::sleep(backoff);
                backoff = backoff.saturating_mul(2);
                attempt += 1;
            }
        }
    }
}

enum Failure {
    /// Worth another try.
    Transient(String),
    Final(String),
}

fn try_once(agent: &ureq::Agent, url: &str, target: &Path) -> Result<(), Failure> {
    let mut response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => Failure::Final(e.to_string()),
        other => Failure::Transient(other.to_string()),
    })?;
    let status = response.status().as_u16();
    if status != 200 {
        let why = format!("HTTP error {status}");
        return Err(if status == 429 || status >= 500 {
            Failure::Transient(why)
        } else {
            Failure::Final(why)
        });
    }
    let mut file = std::fs::File::create(target)
        .map_err(|e| Failure::Final(format!("creating '{}': {e}", target.display())))?;
    // A body cut short (fewer bytes than announced) is an error here too.
    std::io::copy(&mut response.body_mut().as_reader(), &mut file)
        .map(drop)
        .map_err(|e| Failure::Transient(format!("reading the answer: {e}")))
}
