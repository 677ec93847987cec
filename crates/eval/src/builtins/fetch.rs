//! Fetchers: `fetchurl`, `fetchTarball`, `fetchGit` and `fetchTree`, over
//! `file://` URLs, `http(s)://` URLs (with the `network` feature), local
//! paths and local Git repositories. What they fetch enters the store as
//! Nix adds it, so the store paths and hashes are Nix's.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cairn_store::content_address::{ContentAddress, FileIngestionMethod};
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::nar::{HashMode, hash_path_filtered};
use cairn_store::path::{StorePath, StorePathName};

use super::fetch_git::{self, GitInput};
use super::{Builtin, b, g};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    b("fetchurl", 1, fetchurl),
    g("fetchTarball", 1, fetch_tarball),
    g("fetchGit", 1, fetch_git),
    g("fetchTree", 1, fetch_tree),
];

/// The argument of `fetchurl` and `fetchTarball`: a URL, or a set with
/// `url` and optionally `name` and `sha256`.
struct DownloadArgs {
    url: String,
    name: Option<String>,
    sha256: Option<Hash>,
}

fn download_args(
    m: &mut Machine,
    arg: &Value,
    builtin: &str,
    span: Span,
) -> EvalResult<DownloadArgs> {
    let mut args = DownloadArgs {
        url: String::new(),
        name: None,
        sha256: None,
    };
    match m.force(arg)? {
        Value::Attrs(attrs) => {
            let mut url = None;
            for (key, value) in attrs.sorted_by_name() {
                match key.as_str() {
                    "url" => url = Some(plain_string(m, value, span)?),
                    "name" => args.name = Some(plain_string(m, value, span)?),
                    "sha256" => {
                        let text = plain_string(m, value, span)?;
                        args.sha256 = Some(parse_sha256(&text, span)?);
                    }
                    other => {
                        return Err(EvalError::other(
                            format!("unsupported argument '{other}' to '{builtin}'"),
                            span,
                        ));
                    }
                }
            }
            args.url = url.ok_or_else(|| {
                EvalError::other(format!("'url' argument required by '{builtin}'"), span)
            })?;
        }
        other => args.url = plain_string(m, &other, span)?,
    }
    if m.opts.pure && args.sha256.is_none() {
        return Err(EvalError::other(
            format!("in pure evaluation mode, '{builtin}' requires a 'sha256' argument"),
            span,
        ));
    }
    Ok(args)
}

/// A string argument that must not refer to store paths.
fn plain_string(m: &mut Machine, v: &Value, span: Span) -> EvalResult<String> {
    let s = m.coerce_to_string(v, false, false, span)?;
    if s.has_context() {
        return Err(EvalError::other(
            format!(
                "the string '{}' is not allowed to refer to a store path",
                s.text
            ),
            span,
        ));
    }
    Ok(s.text.clone())
}

fn parse_sha256(text: &str, span: Span) -> EvalResult<Hash> {
    Hash::parse(text, Some(HashAlgo::Sha256))
        .map_err(|e| EvalError::other(format!("invalid 'sha256' '{text}': {e}"), span))
}

fn store_name(text: &str, url: &str, span: Span) -> EvalResult<StorePathName> {
    StorePathName::new(text)
        .map_err(|e| EvalError::other(format!("invalid store path name for '{url}': {e}"), span))
}

/// The local file a `file://` URL names (`file:///abs/path` or
/// `file://localhost/abs/path`), with `%XX` escapes decoded; `None` for
/// other URLs.
fn local_file(url: &str, span: Span) -> EvalResult<Option<PathBuf>> {
    let Some(rest) = url.strip_prefix("file://") else {
        return Ok(None);
    };
    let refuse = |why: &str| EvalError::other(format!("unable to download '{url}': {why}"), span);
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return Err(refuse("a file:// URL needs an absolute path"));
    }
    let decoded = percent_decode(path).ok_or_else(|| refuse("malformed %-escape"))?;
    use std::os::unix::ffi::OsStringExt;
    Ok(Some(PathBuf::from(std::ffi::OsString::from_vec(decoded))))
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The last component of a URL, as `baseNameOf` gives it.
fn url_base_name(url: &str) -> &str {
    let trimmed = url.strip_suffix('/').unwrap_or(url);
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The store path `hash` gives contents added as `name` with `method`.
fn fixed_path(
    m: &Machine,
    method: FileIngestionMethod,
    hash: Hash,
    name: &StorePathName,
    span: Span,
) -> EvalResult<StorePath> {
    ContentAddress::Fixed { method, hash }
        .store_path(&m.store_dir(), name, &Default::default(), false)
        .map_err(|e| EvalError::other(e.to_string(), span))
}

/// The SHA-256 of `path` (its NAR, or its bytes for `Flat`).
fn sha256_of(path: &Path, method: FileIngestionMethod, span: Span) -> EvalResult<Hash> {
    let mode = match method {
        FileIngestionMethod::Recursive => HashMode::Recursive,
        FileIngestionMethod::Flat => HashMode::Flat,
    };
    hash_path_filtered(path, HashAlgo::Sha256, mode, &mut |_| true)
        .map(|(hash, _)| hash)
        .map_err(|e| EvalError::other(e.to_string(), span))
}

fn check_hash(url: &str, expected: Option<Hash>, actual: Hash, span: Span) -> EvalResult<()> {
    match expected {
        Some(expected) if expected != actual => Err(EvalError::other(
            format!(
                "hash mismatch in file downloaded from '{url}':\n  specified: {}\n  got:       {}",
                expected.to_sri(),
                actual.to_sri()
            ),
            span,
        )),
        _ => Ok(()),
    }
}

fn store_path_value(m: &mut Machine, path: &StorePath) -> Value {
    Value::String(Rc::new(m.store_path_string(path)))
}

fn fetchurl(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    // Nothing is read, downloaded or run without a store to put it in.
    m.store(span)?;
    let args = download_args(m, &a[0], "fetchurl", span)?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| url_base_name(&args.url).to_owned());
    let path = fetch_file(m, &args.url, &name, args.sha256, span)?;
    Ok(store_path_value(m, &path))
}

/// Adds the file a URL names, as a flat fixed-output path (what a
/// download becomes in Nix). With `expected`, a path already valid is
/// used without reading the URL.
fn fetch_file(
    m: &mut Machine,
    url: &str,
    name: &str,
    expected: Option<Hash>,
    span: Span,
) -> EvalResult<StorePath> {
    let name = store_name(name, url, span)?;
    if let Some(hash) = expected {
        let path = fixed_path(m, FileIngestionMethod::Flat, hash, &name, span)?;
        if m.is_valid_path(&path, span)? {
            return Ok(path);
        }
    }
    let download = Download::of(url, span)?;
    check_hash(
        url,
        expected,
        download.sha256(FileIngestionMethod::Flat, span)?,
        span,
    )?;
    download.add(m, &name, span)
}

/// The file a URL names, copied aside as Nix would have downloaded it.
struct Download {
    /// Holds the copy; removed when dropped.
    _dir: tempfile::TempDir,
    copy: PathBuf,
}

impl Download {
    fn of(url: &str, span: Span) -> EvalResult<Download> {
        let dir = tempfile::tempdir().map_err(|e| temp_error(e, span))?;
        let copy = dir.path().join("download");
        let fetched = match local_file(url, span)? {
            // Links are followed, and the copy is a plain file without an
            // executable bit, as the bytes a download writes.
            Some(file) => std::fs::copy(&file, &copy)
                .map(drop)
                .map_err(|e| format!("reading '{}': {e}", file.display())),
            None if is_http(url) => http_download(url, &copy),
            None => Err("cairn fetches file://, http:// and https:// URLs".to_owned()),
        };
        fetched
            .and_then(|()| {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644))
                    .map_err(|e| e.to_string())
            })
            .map_err(|why| EvalError::other(format!("unable to download '{url}': {why}"), span))?;
        Ok(Download { _dir: dir, copy })
    }

    fn sha256(&self, method: FileIngestionMethod, span: Span) -> EvalResult<Hash> {
        sha256_of(&self.copy, method, span)
    }

    fn add(&self, m: &mut Machine, name: &StorePathName, span: Span) -> EvalResult<StorePath> {
        m.add_fetched_to_store(
            &self.copy,
            name,
            FileIngestionMethod::Flat,
            &mut |_| true,
            span,
        )
    }
}

fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

#[cfg(feature = "network")]
fn http_download(url: &str, target: &Path) -> Result<(), String> {
    super::fetch_http::download(url, target)
}

#[cfg(not(feature = "network"))]
fn http_download(_url: &str, _target: &Path) -> Result<(), String> {
    Err("this cairn-eval was built without the `network` feature".to_owned())
}

fn temp_error(e: std::io::Error, span: Span) -> EvalError {
    EvalError::other(format!("creating a temporary directory: {e}"), span)
}

fn fetch_tarball(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    // Nothing is read, downloaded or run without a store to put it in.
    m.store(span)?;
    let args = download_args(m, &a[0], "fetchTarball", span)?;
    let name = args.name.as_deref().unwrap_or("source");
    let (path, _) = fetch_unpacked(m, &args.url, name, args.sha256, span)?;
    Ok(store_path_value(m, &path))
}

/// Unpacks the archive a URL names and adds the tree recursively; returns
/// its store path and NAR hash. With `expected`, a path already valid is
/// used without reading the URL.
fn fetch_unpacked(
    m: &mut Machine,
    url: &str,
    name: &str,
    expected: Option<Hash>,
    span: Span,
) -> EvalResult<(StorePath, Hash)> {
    let name = store_name(name, url, span)?;
    if let Some(hash) = expected {
        let path = fixed_path(m, FileIngestionMethod::Recursive, hash, &name, span)?;
        if m.is_valid_path(&path, span)? {
            return Ok((path, hash));
        }
    }
    let archive = Download::of(url, span)?;
    let unpacked = tempfile::tempdir().map_err(|e| temp_error(e, span))?;
    let root = unpack_archive(&archive.copy, unpacked.path())
        .map_err(|e| EvalError::other(format!("unpacking '{url}': {e}"), span))?;
    let hash = sha256_of(&root, FileIngestionMethod::Recursive, span)?;
    check_hash(url, expected, hash, span)?;
    let path = m.add_fetched_to_store(
        &root,
        &name,
        FileIngestionMethod::Recursive,
        &mut |_| true,
        span,
    )?;
    Ok((path, hash))
}

/// Unpacks the tar archive at `archive` (plain, or compressed with gzip,
/// xz, bzip2 or zstd, told apart by their magic numbers) into `into`, and
/// returns the root of the result: its single top-level directory when it
/// has one, as Nix strips it. Entries that would land outside `into` (`..`
/// or absolute names) are skipped by the unpacker.
fn unpack_archive(archive: &Path, into: &Path) -> std::io::Result<PathBuf> {
    let mut input = BufReader::new(std::fs::File::open(archive)?);
    let magic = input.fill_buf()?;
    let reader: Box<dyn Read> = if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(input))
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Box::new(liblzma::read::XzDecoder::new_multi_decoder(input))
    } else if magic.starts_with(b"BZh") {
        Box::new(bzip2::read::MultiBzDecoder::new(input))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::new(input)?)
    } else {
        Box::new(input)
    };
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(false);
    tar.set_unpack_xattrs(false);
    tar.unpack(into)?;
    let mut entries = std::fs::read_dir(into)?.collect::<Result<Vec<_>, _>>()?;
    if let [only] = entries.as_mut_slice()
        && only.file_type()?.is_dir()
    {
        return Ok(only.path());
    }
    Ok(into.to_path_buf())
}

fn fetch_git(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    // Nothing is read, downloaded or run without a store to put it in.
    m.store(span)?;
    let input = match m.force(&a[0])? {
        Value::Attrs(attrs) => git_input(m, &attrs, false, span)?,
        other => GitInput::new(git_location(m, &other, span)?),
    };
    let fetched = fetch_git::fetch(m, &input, span)?;
    Ok(fetched.into_value(m))
}

/// A Git `url`: a path value, an absolute path or a `file://` URL (also
/// with `git+`).
fn git_location(m: &mut Machine, v: &Value, span: Span) -> EvalResult<PathBuf> {
    let text = plain_string(m, v, span)?;
    let url = text.strip_prefix("git+").unwrap_or(&text);
    if url.starts_with('/') {
        return Ok(PathBuf::from(url));
    }
    // A query (`?ref=…`) is not part of the path.
    let without_query = url.split('?').next().unwrap_or(url);
    if let Some(path) = local_file(without_query, span)? {
        return Ok(path);
    }
    Err(EvalError::other(
        format!(
            "cannot fetch Git repository '{text}': only local repositories (paths and \
             file:// URLs) can be fetched during evaluation"
        ),
        span,
    ))
}

/// The attributes of a Git input; `tree` says it comes from `fetchTree`
/// (where `type` is allowed and `narHash` checked).
fn git_input(m: &mut Machine, attrs: &Attrs, tree: bool, span: Span) -> EvalResult<GitInput> {
    let mut location = None;
    let mut input = GitInput::new(PathBuf::new());
    for (key, value) in attrs.sorted_by_name() {
        match key.as_str() {
            "url" => location = Some(git_location(m, value, span)?),
            "name" => input.name = plain_string(m, value, span)?,
            "ref" => input.reference = Some(plain_string(m, value, span)?),
            "rev" => input.rev = Some(plain_string(m, value, span)?),
            "submodules" => input.submodules = m.force_bool(value, span)?,
            // Both only change how much a remote fetch transfers.
            "shallow" | "allRefs" => {
                m.force_bool(value, span)?;
            }
            "narHash" if tree => input.nar_hash = Some(parse_nar_hash(m, value, span)?),
            "type" if tree => {}
            other => {
                return Err(EvalError::other(
                    format!("unsupported Git input attribute '{other}'"),
                    span,
                ));
            }
        }
    }
    input.location =
        location.ok_or_else(|| EvalError::other("'url' argument required by 'fetchGit'", span))?;
    if m.opts.pure && input.rev.is_none() {
        return Err(EvalError::other(
            "in pure evaluation mode, 'fetchGit' requires a locked input (a 'rev')",
            span,
        ));
    }
    Ok(input)
}

fn parse_nar_hash(m: &mut Machine, v: &Value, span: Span) -> EvalResult<Hash> {
    let text = plain_string(m, v, span)?;
    Hash::parse(&text, Some(HashAlgo::Sha256))
        .map_err(|e| EvalError::other(format!("invalid 'narHash' '{text}': {e}"), span))
}

/// `fetchTree`'s input kinds.
enum TreeInput {
    Path { path: PathBuf },
    File { url: String },
    Tarball { url: String },
    Git(GitInput),
}

/// A `fetchTree` input and the NAR hash its result must have. Its store
/// path is always named `source` (`fetchTree` refuses `name`, as in Nix).
struct TreeRequest {
    input: TreeInput,
    nar_hash: Option<Hash>,
}

impl TreeRequest {
    fn new(input: TreeInput) -> TreeRequest {
        TreeRequest {
            input,
            nar_hash: None,
        }
    }

    fn check(&self, what: &str, actual: Hash, span: Span) -> EvalResult<()> {
        match self.nar_hash {
            Some(expected) if expected != actual => Err(EvalError::other(
                format!(
                    "NAR hash mismatch in input '{what}': expected '{}', got '{}'",
                    expected.to_sri(),
                    actual.to_sri()
                ),
                span,
            )),
            _ => Ok(()),
        }
    }
}

fn fetch_tree(m: &mut Machine, a: &[Value], span: Span) -> EvalResult<Value> {
    // Nothing is read, downloaded or run without a store to put it in.
    m.store(span)?;
    let request = match m.force(&a[0])? {
        Value::Attrs(attrs) => tree_request_from_attrs(m, &attrs, span)?,
        other => {
            let url = plain_string(m, &other, span)?;
            TreeRequest::new(tree_input_from_url(&url, span)?)
        }
    };
    // Each kind checks the hash before anything is added.
    let (path, hash, mut fields) = match &request.input {
        TreeInput::Git(git) => {
            let fetched = fetch_git::fetch(m, git, span)?;
            return Ok(fetched.into_value(m));
        }
        TreeInput::File { url } => {
            let name = store_name("source", url, span)?;
            let download = Download::of(url, span)?;
            let hash = download.sha256(FileIngestionMethod::Recursive, span)?;
            request.check(url, hash, span)?;
            (download.add(m, &name, span)?, hash, Vec::new())
        }
        TreeInput::Tarball { url } => {
            let (path, hash) = fetch_unpacked(m, url, "source", request.nar_hash, span)?;
            (path, hash, Vec::new())
        }
        TreeInput::Path { path } => {
            let shown = path.to_string_lossy();
            let hash = sha256_of(path, FileIngestionMethod::Recursive, span)?;
            request.check(&shown, hash, span)?;
            let name = store_name("source", &shown, span)?;
            let added = m.add_fetched_to_store(
                path,
                &name,
                FileIngestionMethod::Recursive,
                &mut |_| true,
                span,
            )?;
            let modified = newest_mtime(path)
                .map_err(|e| EvalError::other(format!("reading '{shown}': {e}"), span))?;
            (added, hash, last_modified_fields(modified))
        }
    };
    fields.push((Symbol::intern("narHash"), Value::string(hash.to_sri())));
    fields.push((Symbol::intern("outPath"), store_path_value(m, &path)));
    Ok(Value::Attrs(Rc::new(Attrs::from_unsorted(fields))))
}

fn tree_request_from_attrs(m: &mut Machine, attrs: &Attrs, span: Span) -> EvalResult<TreeRequest> {
    let kind = match attrs.get(Symbol::intern("type")) {
        Some(v) => plain_string(m, v, span)?,
        None => {
            return Err(EvalError::other(
                "attribute 'type' is missing in call to 'fetchTree'",
                span,
            ));
        }
    };
    if attrs.get(Symbol::intern("name")).is_some() {
        return Err(EvalError::other(
            "attribute 'name' isn't supported in call to 'fetchTree'",
            span,
        ));
    }
    if kind == "git" {
        return Ok(TreeRequest::new(TreeInput::Git(git_input(
            m, attrs, true, span,
        )?)));
    }
    let mut nar_hash = None;
    let mut location = None;
    let wanted = if kind == "path" { "path" } else { "url" };
    for (key, value) in attrs.sorted_by_name() {
        match key.as_str() {
            "type" => {}
            "narHash" => nar_hash = Some(parse_nar_hash(m, value, span)?),
            k if k == wanted => location = Some(plain_string(m, value, span)?),
            other => {
                return Err(EvalError::other(
                    format!("unsupported attribute '{other}' in a '{kind}' input to 'fetchTree'"),
                    span,
                ));
            }
        }
    }
    let location = location.ok_or_else(|| {
        EvalError::other(
            format!("attribute '{wanted}' is missing in a '{kind}' input to 'fetchTree'"),
            span,
        )
    })?;
    let input = match kind.as_str() {
        "path" => TreeInput::Path {
            path: absolute_path(&location, span)?,
        },
        "file" => TreeInput::File { url: location },
        "tarball" => TreeInput::Tarball { url: location },
        other => {
            return Err(EvalError::other(
                format!("fetchTree does not support inputs of type '{other}'"),
                span,
            ));
        }
    };
    Ok(TreeRequest { input, nar_hash })
}

/// The input a URL string names, as Nix reads flake-style URLs: a
/// `git+`, `path:`, `file+` or `tarball+` scheme, or a `file://` URL whose
/// name looks like an archive.
fn tree_input_from_url(url: &str, span: Span) -> EvalResult<TreeInput> {
    if url.starts_with("git+") {
        let mut input = GitInput::new(PathBuf::new());
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        input.location = match local_file(&base["git+".len()..], span)? {
            Some(path) => path,
            None => {
                return Err(EvalError::other(
                    format!(
                        "cannot fetch Git repository '{url}': only git+file:// URLs are supported"
                    ),
                    span,
                ));
            }
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("ref", r)) => input.reference = Some(r.to_owned()),
                Some(("rev", r)) => input.rev = Some(r.to_owned()),
                _ => {
                    return Err(EvalError::other(
                        format!("unsupported query '{pair}' in '{url}'"),
                        span,
                    ));
                }
            }
        }
        return Ok(TreeInput::Git(input));
    }
    if let Some(path) = url.strip_prefix("path:") {
        return Ok(TreeInput::Path {
            path: absolute_path(path, span)?,
        });
    }
    if let Some(rest) = url.strip_prefix("file+") {
        return Ok(TreeInput::File { url: rest.into() });
    }
    if let Some(rest) = url.strip_prefix("tarball+") {
        return Ok(TreeInput::Tarball { url: rest.into() });
    }
    const ARCHIVES: &[&str] = &[
        ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz", ".tar.zst",
    ];
    if ARCHIVES.iter().any(|ext| url.ends_with(ext)) {
        Ok(TreeInput::Tarball { url: url.into() })
    } else {
        Ok(TreeInput::File { url: url.into() })
    }
}

fn absolute_path(text: &str, span: Span) -> EvalResult<PathBuf> {
    if text.starts_with('/') {
        Ok(PathBuf::from(text))
    } else {
        Err(EvalError::other(
            format!("path '{text}' in a 'path' input must be absolute"),
            span,
        ))
    }
}

/// The newest modification time in the tree at `path` (links not
/// followed), in seconds since the epoch.
fn newest_mtime(path: &Path) -> std::io::Result<i64> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path)?;
    let mut newest = meta.mtime();
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            newest = newest.max(newest_mtime(&entry?.path())?);
        }
    }
    Ok(newest)
}

/// `lastModified` and `lastModifiedDate` (UTC, `%Y%m%d%H%M%S`).
pub(super) fn last_modified_fields(seconds: i64) -> Vec<(Symbol, Value)> {
    vec![
        (Symbol::intern("lastModified"), Value::Int(seconds)),
        (
            Symbol::intern("lastModifiedDate"),
            Value::string(utc_timestamp(seconds)),
        ),
    ]
}

/// `seconds` since the epoch as `YYYYMMDDhhmmss` in UTC.
fn utc_timestamp(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian), by
    // counting 400-year eras that start on March 1st.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_civil_dates() {
        assert_eq!(utc_timestamp(0), "19700101000000");
        assert_eq!(utc_timestamp(1_577_836_800), "20200101000000");
        assert_eq!(utc_timestamp(1_795_573_045), "20261125021725");
        // A leap day, and the last second of a century year.
        assert_eq!(utc_timestamp(951_782_400), "20000229000000");
        assert_eq!(utc_timestamp(4_102_444_799), "20991231235959");
    }

    #[test]
    fn file_urls_decode_escapes() {
        let span = Span {
            file: crate::span::FileId(0),
            start: 0,
            end: 0,
        };
        assert_eq!(
            local_file("file:///tmp/a%20b", span).unwrap().unwrap(),
            Path::new("/tmp/a b")
        );
        assert_eq!(
            local_file("file://localhost/x", span).unwrap().unwrap(),
            Path::new("/x")
        );
        assert!(local_file("https://example.org/x", span).unwrap().is_none());
        assert!(local_file("file://relative", span).is_err());
        assert!(local_file("file:///bad%zz", span).is_err());
    }

    #[test]
    fn url_base_names() {
        assert_eq!(url_base_name("file:///a/b.tar.gz"), "b.tar.gz");
        assert_eq!(url_base_name("file:///a/dir/"), "dir");
    }
}
