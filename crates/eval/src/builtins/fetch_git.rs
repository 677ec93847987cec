//! `fetchGit` (and `fetchTree { type = "git"; }`) for repositories on this
//! machine, through the `git` program.
//!
//! Without `rev` or `ref`, a work tree's current files are taken: when
//! they differ from `HEAD`, the tracked files as they are on disk (with a
//! warning, as Nix's "dirty" trees); otherwise `HEAD`'s commit. A commit
//! is exported from its tree objects as stored, with no checkout filters,
//! into a temporary directory that is then added to the store.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;

use cairn_store::content_address::FileIngestionMethod;
use cairn_store::hash::{Hash, HashAlgo};
use cairn_store::nar::{HashMode, hash_path_filtered};
use cairn_store::path::{StorePath, StorePathName};

use super::fetch::last_modified_fields;
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};

/// What to fetch from a Git repository.
pub(super) struct GitInput {
    /// The repository: a work tree or a bare repository.
    pub location: PathBuf,
    /// The store path name (`source` by default).
    pub name: String,
    /// A branch (`main`, as `refs/heads/main`) or full ref name.
    pub reference: Option<String>,
    /// A commit hash.
    pub rev: Option<String>,
    /// Whether submodules are wanted (not supported yet).
    pub submodules: bool,
    /// The NAR hash the result must have (`fetchTree`).
    pub nar_hash: Option<Hash>,
}

impl GitInput {
    pub(super) fn new(location: PathBuf) -> GitInput {
        GitInput {
            location,
            name: "source".to_owned(),
            reference: None,
            rev: None,
            submodules: false,
            nar_hash: None,
        }
    }
}

/// A fetched tree and what `fetchGit` reports about it.
pub(super) struct GitFetched {
    path: StorePath,
    nar_hash: Hash,
    /// The commit; `None` for a dirty work tree.
    rev: Option<String>,
    rev_count: i64,
    last_modified: i64,
    submodules: bool,
}

impl GitFetched {
    /// The attribute set `fetchGit` returns.
    pub(super) fn into_value(self, m: &mut Machine) -> Value {
        const NO_REV: &str = "0000000000000000000000000000000000000000";
        let rev = self.rev.as_deref().unwrap_or(NO_REV);
        let mut fields = last_modified_fields(self.last_modified);
        fields.extend([
            (
                Symbol::intern("narHash"),
                Value::string(self.nar_hash.to_sri()),
            ),
            (
                Symbol::intern("outPath"),
                Value::String(Rc::new(m.store_path_string(&self.path))),
            ),
            (Symbol::intern("rev"), Value::string(rev)),
            (Symbol::intern("revCount"), Value::Int(self.rev_count)),
            (Symbol::intern("shortRev"), Value::string(&rev[..7])),
            (Symbol::intern("submodules"), Value::Bool(self.submodules)),
        ]);
        Value::Attrs(Rc::new(Attrs::from_unsorted(fields)))
    }
}

/// A failure of the `git` program or of writing the exported tree.
struct GitError(String);

impl GitError {
    fn io(action: &str, e: std::io::Error) -> GitError {
        GitError(format!("{action}: {e}"))
    }
}

/// Fetches `input`: the store path of its tree and its attributes.
pub(super) fn fetch(m: &mut Machine, input: &GitInput, span: Span) -> EvalResult<GitFetched> {
    let describe = |e: GitError| {
        EvalError::other(
            format!(
                "fetching Git repository '{}': {}",
                input.location.display(),
                e.0
            ),
            span,
        )
    };
    if input.submodules {
        return Err(describe(GitError(
            "fetching submodules is not supported yet".into(),
        )));
    }
    let name = StorePathName::new(&input.name)
        .map_err(|e| EvalError::other(format!("invalid name '{}': {e}", input.name), span))?;
    let repo = Repo {
        dir: input.location.clone(),
    };
    let is_work_tree = input.location.join(".git").exists();
    if is_work_tree && input.rev.is_none() && input.reference.is_none() {
        let head = repo.commit_of("HEAD").map_err(describe)?;
        let dirty = match &head {
            None => true,
            Some(_) => repo.is_dirty().map_err(describe)?,
        };
        if dirty {
            if m.opts.trace_to_stderr {
                eprintln!("warning: Git tree '{}' is dirty", input.location.display());
            }
            let last_modified = match &head {
                Some(rev) => repo.commit_time(rev).map_err(describe)?,
                None => 0,
            };
            let tracked = repo.tracked_files().map_err(describe)?;
            let mut keep = |p: &Path| tracked.contains(p);
            let source = &input.location;
            let nar_hash = nar_hash_of(source, &mut keep, span)?;
            check_nar_hash(input, nar_hash, span)?;
            let path = m.add_fetched_to_store(
                source,
                &name,
                FileIngestionMethod::Recursive,
                &mut keep,
                span,
            )?;
            return Ok(GitFetched {
                path,
                nar_hash,
                rev: None,
                rev_count: 0,
                last_modified,
                submodules: false,
            });
        }
    }
    let rev = match (&input.rev, &input.reference) {
        (Some(rev), _) => {
            if rev.len() != 40 || !rev.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(EvalError::other(
                    format!("invalid Git revision '{rev}': a commit hash has 40 hex digits"),
                    span,
                ));
            }
            repo.commit_of(rev)
                .map_err(describe)?
                .ok_or_else(|| describe(GitError(format!("there is no commit '{rev}'"))))?
        }
        (None, reference) => {
            let full = match reference.as_deref() {
                None => "HEAD".to_owned(),
                Some(r) if r.starts_with("refs/") => r.to_owned(),
                Some(r) => format!("refs/heads/{r}"),
            };
            repo.commit_of(&full)
                .map_err(describe)?
                .ok_or_else(|| describe(GitError(format!("'{full}' names no commit"))))?
        }
    };
    let exported = tempfile::tempdir()
        .map_err(|e| EvalError::other(format!("creating a temporary directory: {e}"), span))?;
    repo.export(&rev, exported.path()).map_err(describe)?;
    let nar_hash = nar_hash_of(exported.path(), &mut |_| true, span)?;
    check_nar_hash(input, nar_hash, span)?;
    let path = m.add_fetched_to_store(
        exported.path(),
        &name,
        FileIngestionMethod::Recursive,
        &mut |_| true,
        span,
    )?;
    Ok(GitFetched {
        path,
        nar_hash,
        rev_count: repo.rev_count(&rev).map_err(describe)?,
        last_modified: repo.commit_time(&rev).map_err(describe)?,
        rev: Some(rev),
        submodules: false,
    })
}

fn nar_hash_of(path: &Path, keep: &mut dyn FnMut(&Path) -> bool, span: Span) -> EvalResult<Hash> {
    hash_path_filtered(path, HashAlgo::Sha256, HashMode::Recursive, keep)
        .map(|(hash, _)| hash)
        .map_err(|e| EvalError::other(e.to_string(), span))
}

fn check_nar_hash(input: &GitInput, actual: Hash, span: Span) -> EvalResult<()> {
    match input.nar_hash {
        Some(expected) if expected != actual => Err(EvalError::other(
            format!(
                "NAR hash mismatch in Git input '{}': expected '{}', got '{}'",
                input.location.display(),
                expected.to_sri(),
                actual.to_sri()
            ),
            span,
        )),
        _ => Ok(()),
    }
}

/// A repository the `git` program is run in.
struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.dir);
        // Neither the user's pager nor a prompt for credentials.
        cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_PAGER", "cat");
        cmd
    }

    /// Runs `git args…` and returns its standard output.
    fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| GitError::io("running git", e))?;
        if !out.status.success() {
            return Err(GitError(format!(
                "'git {}' failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    }

    fn run_text(&self, args: &[&str]) -> Result<String, GitError> {
        let out = self.run(args)?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    /// The commit `name` resolves to, or `None` when it names none.
    fn commit_of(&self, name: &str) -> Result<Option<String>, GitError> {
        let out = self
            .command()
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{name}^{{commit}}"))
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| GitError::io("running git", e))?;
        if !out.status.success() {
            return Ok(None);
        }
        Ok(Some(String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    }

    /// Whether tracked files differ from `HEAD` (untracked files do not
    /// count, as in Nix).
    fn is_dirty(&self) -> Result<bool, GitError> {
        let status = self.run(&["status", "--porcelain", "--untracked-files=no"])?;
        Ok(!status.is_empty())
    }

    /// The tracked files and the directories holding them, as absolute
    /// paths. A directory whose tracked files were all deleted stays, empty,
    /// as in Nix.
    fn tracked_files(&self) -> Result<HashSet<PathBuf>, GitError> {
        let listing = self.run(&["ls-files", "-z"])?;
        let mut kept = HashSet::new();
        for name in listing.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            let file = self.dir.join(OsStr::from_bytes(name));
            let mut dir = file.parent();
            kept.insert(file.clone());
            while let Some(d) = dir {
                if d == self.dir || !kept.insert(d.to_path_buf()) {
                    break;
                }
                dir = d.parent();
            }
        }
        Ok(kept)
    }

    fn commit_time(&self, rev: &str) -> Result<i64, GitError> {
        let text = self.run_text(&["log", "-1", "--format=%ct", "--no-show-signature", rev])?;
        text.parse()
            .map_err(|_| GitError(format!("unexpected commit time '{text}'")))
    }

    fn rev_count(&self, rev: &str) -> Result<i64, GitError> {
        let text = self.run_text(&["rev-list", "--count", rev])?;
        text.parse()
            .map_err(|_| GitError(format!("unexpected commit count '{text}'")))
    }

    /// Writes the files of commit `rev` into the empty directory `into`,
    /// each blob as stored (no end-of-line or other filters).
    fn export(&self, rev: &str, into: &Path) -> Result<(), GitError> {
        let listing = self.run(&["ls-tree", "-r", "-z", "--full-tree", rev])?;
        let mut entries = Vec::new();
        for line in listing.split(|&b| b == 0).filter(|l| !l.is_empty()) {
            entries.push(TreeEntry::parse(line)?);
        }
        let mut cat = self
            .command()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| GitError::io("running git cat-file", e))?;
        let result = (|| {
            let mut input = cat.stdin.take().ok_or_else(|| GitError("no pipe".into()))?;
            let mut output = BufReader::new(
                cat.stdout
                    .take()
                    .ok_or_else(|| GitError("no pipe".into()))?,
            );
            for entry in &entries {
                entry.write(into, &mut input, &mut output)?;
            }
            Ok(())
        })();
        let _ = cat.kill();
        let _ = cat.wait();
        result
    }
}

/// One line of `git ls-tree -r`.
struct TreeEntry<'a> {
    mode: &'a [u8],
    object: &'a str,
    path: &'a [u8],
}

impl<'a> TreeEntry<'a> {
    fn parse(line: &'a [u8]) -> Result<TreeEntry<'a>, GitError> {
        let bad = || {
            GitError(format!(
                "unexpected tree entry '{}'",
                String::from_utf8_lossy(line)
            ))
        };
        let tab = line.iter().position(|&b| b == b'\t').ok_or_else(bad)?;
        let (meta, path) = (&line[..tab], &line[tab + 1..]);
        let mut fields = meta.split(|&b| b == b' ');
        let (Some(mode), Some(_kind), Some(object)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad());
        };
        // Never write outside the export: no empty, `.`, `..` or `.git`
        // components (Git refuses them too, but a repository may be hostile).
        let unsafe_component = path
            .split(|&b| b == b'/')
            .any(|c| matches!(c, b"" | b"." | b".." | b".git"));
        if unsafe_component {
            return Err(GitError(format!(
                "refusing tree entry '{}'",
                String::from_utf8_lossy(path)
            )));
        }
        let object = std::str::from_utf8(object).map_err(|_| bad())?;
        Ok(TreeEntry { mode, object, path })
    }

    /// Creates this entry below `root`, reading blobs from a running
    /// `git cat-file --batch`.
    fn write(
        &self,
        root: &Path,
        requests: &mut impl Write,
        replies: &mut impl BufRead,
    ) -> Result<(), GitError> {
        let target = root.join(OsStr::from_bytes(self.path));
        let parent = target.parent().unwrap_or(root);
        std::fs::create_dir_all(parent).map_err(|e| GitError::io("creating a directory", e))?;
        if self.mode == b"160000" {
            // A submodule's commit: an empty directory, as without
            // `submodules = true` in Nix.
            return std::fs::create_dir_all(&target)
                .map_err(|e| GitError::io("creating a directory", e));
        }
        let contents = read_blob(self.object, requests, replies)?;
        let written = match self.mode {
            b"120000" => std::os::unix::fs::symlink(OsStr::from_bytes(&contents), &target),
            b"100644" | b"100755" | b"100664" => {
                std::fs::write(&target, &contents).and_then(|()| {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = if self.mode == b"100755" { 0o755 } else { 0o644 };
                    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                })
            }
            other => {
                return Err(GitError(format!(
                    "unexpected mode {} in the tree",
                    String::from_utf8_lossy(other)
                )));
            }
        };
        written.map_err(|e| GitError::io(&format!("writing '{}'", target.display()), e))
    }
}

/// Asks `git cat-file --batch` for one blob and reads its contents.
fn read_blob(
    object: &str,
    requests: &mut impl Write,
    replies: &mut impl BufRead,
) -> Result<Vec<u8>, GitError> {
    let pipe = |e| GitError::io("talking to git cat-file", e);
    writeln!(requests, "{object}")
        .and_then(|()| requests.flush())
        .map_err(pipe)?;
    let mut header = String::new();
    replies.read_line(&mut header).map_err(pipe)?;
    // `<object> blob <size>`
    let size: usize = header
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| GitError(format!("unexpected reply '{}' for {object}", header.trim())))?;
    let mut contents = vec![0; size];
    replies.read_exact(&mut contents).map_err(pipe)?;
    let mut newline = [0; 1];
    replies.read_exact(&mut newline).map_err(pipe)?;
    Ok(contents)
}
