//! `http://` and `https://` caches, through one `ureq` agent per cache so
//! connections are reused across requests (and threads).

use std::io::Read;
use std::time::Duration;

use ureq::Agent;
use ureq::http::Response;

use super::{HttpOptions, PutBody, SMALL_FILE_LIMIT, Transport, TransportError, check_relative};

/// A binary cache served over HTTP(S).
#[derive(Debug)]
pub struct HttpTransport {
    url: String,
    agent: Agent,
    retries: u32,
    initial_backoff: Duration,
}

/// What one attempt came to.
enum Attempt<T> {
    Done(T),
    /// Worth another try (connection error, 5xx, 429).
    Retry(Failure),
    /// Final.
    Fail(TransportError),
}

enum Failure {
    Status(u16),
    Network(ureq::Error),
}

impl HttpTransport {
    /// The cache at `url` (without a trailing slash).
    pub fn new(url: &str, options: &HttpOptions) -> Self {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.read_timeout))
            .timeout_per_write(Some(options.read_timeout))
            .max_idle_connections_per_host(64)
            .user_agent(concat!("cairn/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        HttpTransport {
            url: url.to_owned(),
            agent,
            retries: options.retries,
            initial_backoff: options.initial_backoff,
        }
    }

    fn full_url(&self, path: &str) -> Result<String, TransportError> {
        check_relative(path)?;
        Ok(format!("{}/{path}", self.url))
    }

    /// Runs `attempt` until it is done, fails for good, or the retries are
    /// used up, sleeping with exponential backoff in between.
    fn with_retries<T>(
        &self,
        method: &'static str,
        url: &str,
        mut attempt: impl FnMut() -> Attempt<T>,
    ) -> Result<T, TransportError> {
        let mut backoff = self.initial_backoff;
        let mut tries = 0;
        loop {
            tries += 1;
            let failure = match attempt() {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry(failure) => failure,
            };
            if tries > self.retries {
                return Err(match failure {
                    Failure::Status(status) => TransportError::Status {
                        method,
                        url: url.to_owned(),
                        status,
                    },
                    Failure::Network(source) => TransportError::Network {
                        method,
                        url: url.to_owned(),
                        attempts: tries,
                        source: Box::new(source),
                    },
                });
            }
            std::thread::sleep(backoff);
            backoff = backoff.saturating_mul(2);
        }
    }

    /// Sends a GET or HEAD and sorts the answer: `Some(response)` for 200,
    /// `None` for 404/403/410 (Nix also takes 403 as "not there", as S3
    /// answers it for missing keys).
    fn fetch(
        &self,
        method: &'static str,
        url: &str,
    ) -> Result<Option<Response<ureq::Body>>, TransportError> {
        self.with_retries(method, url, || {
            let result = if method == "HEAD" {
                self.agent.head(url).call()
            } else {
                self.agent.get(url).call()
            };
            match result {
                Ok(response) => match response.status().as_u16() {
                    200 => Attempt::Done(Some(response)),
                    404 | 403 | 410 => Attempt::Done(None),
                    status @ (429 | 500..=599) => Attempt::Retry(Failure::Status(status)),
                    status => Attempt::Fail(TransportError::Status {
                        method,
                        url: url.to_owned(),
                        status,
                    }),
                },
                Err(e) => classify(method, url, e),
            }
        })
    }
}

/// Network errors are worth retrying; a malformed request is not.
fn classify<T>(method: &'static str, url: &str, error: ureq::Error) -> Attempt<T> {
    match error {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => {
            Attempt::Fail(TransportError::Network {
                method,
                url: url.to_owned(),
                attempts: 1,
                source: Box::new(error),
            })
        }
        other => Attempt::Retry(Failure::Network(other)),
    }
}

impl Transport for HttpTransport {
    fn url(&self) -> &str {
        &self.url
    }

    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        let url = self.full_url(path)?;
        // The body is read inside the retry loop, so a connection dropped
        // mid-body is retried too.
        self.with_retries("GET", &url, || {
            let response = match self.agent.get(&url).call() {
                Ok(r) => r,
                Err(e) => return classify("GET", &url, e),
            };
            match response.status().as_u16() {
                200 => {}
                404 | 403 | 410 => return Attempt::Done(None),
                status @ (429 | 500..=599) => return Attempt::Retry(Failure::Status(status)),
                status => {
                    return Attempt::Fail(TransportError::Status {
                        method: "GET",
                        url: url.clone(),
                        status,
                    });
                }
            }
            match response
                .into_body()
                .into_with_config()
                .limit(SMALL_FILE_LIMIT)
                .read_to_vec()
            {
                Ok(bytes) => Attempt::Done(Some(bytes)),
                Err(ureq::Error::BodyExceedsLimit(_)) => Attempt::Fail(TransportError::TooLarge {
                    url: url.clone(),
                    limit: SMALL_FILE_LIMIT,
                }),
                Err(e) => classify("GET", &url, e),
            }
        })
    }

    fn open(&self, path: &str) -> Result<Option<Box<dyn Read + Send>>, TransportError> {
        let url = self.full_url(path)?;
        Ok(self
            .fetch("GET", &url)?
            .map(|response| Box::new(response.into_body().into_reader()) as Box<dyn Read + Send>))
    }

    fn exists(&self, path: &str) -> Result<bool, TransportError> {
        let url = self.full_url(path)?;
        Ok(self.fetch("HEAD", &url)?.is_some())
    }

    fn put(&self, path: &str, body: PutBody<'_>, content_type: &str) -> Result<(), TransportError> {
        let url = self.full_url(path)?;
        self.with_retries("PUT", &url, || {
            let request = self.agent.put(&url).header("Content-Type", content_type);
            let result = match body {
                PutBody::Bytes(bytes) => request.send(bytes),
                PutBody::File(local) => match std::fs::File::open(local) {
                    Ok(file) => request.send(file),
                    Err(e) => return Attempt::Fail(TransportError::io("opening", local, e)),
                },
            };
            match result {
                Ok(response) => match response.status().as_u16() {
                    200..=299 => Attempt::Done(()),
                    status @ (429 | 500..=599) => Attempt::Retry(Failure::Status(status)),
                    status => Attempt::Fail(TransportError::Status {
                        method: "PUT",
                        url: url.clone(),
                        status,
                    }),
                },
                Err(e) => classify("PUT", &url, e),
            }
        })
    }
}
