//! The fetchers (`fetchurl`, `fetchTarball`, `fetchGit`, `fetchTree`)
//! against Nix's: the same expressions over `file://` and `http://` URLs, tarballs in
//! every compression and a local Git repository (clean, at older commits,
//! by branch, and dirty) must print the same store paths and attributes,
//! and fail where Nix fails. What cairn added must then verify.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cairn_testkit::Oracle;

fn cairn(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

fn cairn_eval(store: &Path, expr: &str) -> Output {
    cairn(store, &["eval", "--strict", "-E", expr])
}

/// A source tree: a directory with a file, an executable, a link and a
/// name with a space.
fn make_tree(root: &Path) {
    std::fs::create_dir_all(root.join("top/sub")).unwrap();
    std::fs::write(root.join("top/a.txt"), "hello\n").unwrap();
    std::fs::write(root.join("top/sub/run"), "#!/bin/sh\necho run\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        root.join("top/sub/run"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("a.txt", root.join("top/link")).unwrap();
    std::fs::write(root.join("top/with space"), "spaced\n").unwrap();
}

/// A tar archive of `dir` (entries named below `prefix`).
fn tar_of(dir: &Path, prefix: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder.append_dir_all(prefix, dir).unwrap();
    builder.into_inner().unwrap()
}

fn compress(kind: &str, data: &[u8]) -> Vec<u8> {
    match kind {
        "tar" => data.to_vec(),
        "tar.gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "tar.xz" => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "tar.bz2" => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "tar.zst" => zstd::stream::encode_all(data, 3).unwrap(),
        other => panic!("no compression {other}"),
    }
}

fn git(repo: &Path, args: &[&str]) {
    git_dated(repo, args, "2020-01-01T00:00:00Z");
}

/// Runs git with a fixed identity and commit date.
fn git_dated(repo: &Path, args: &[&str], date: &str) {
    let status = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?} failed");
}

fn git_out(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A repository with two commits on `main` (the second one later), a tag,
/// an executable, a link and a nested directory.
fn make_repo(repo: &Path) {
    std::fs::create_dir_all(repo.join("d")).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a"), "one\n").unwrap();
    std::fs::write(repo.join("d/b"), "x\n").unwrap();
    std::os::unix::fs::symlink("d/b", repo.join("link")).unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "one"]);
    std::fs::write(repo.join("a"), "two\n").unwrap();
    std::fs::write(repo.join("tool"), "#!/bin/sh\n").unwrap();
    git(repo, &["add", "."]);
    git(repo, &["update-index", "--chmod=+x", "tool"]);
    git_dated(repo, &["commit", "-qm", "two"], "2021-06-15T12:34:56Z");
    git(repo, &["tag", "v1", "HEAD~1"]);
    git(repo, &["checkout", "-q", "--", "."]);
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        make_tree(&root.join("src"));
        let tar = tar_of(&root.join("src/top"), "top");
        for kind in ["tar", "tar.gz", "tar.xz", "tar.bz2", "tar.zst"] {
            std::fs::write(root.join(format!("t.{kind}")), compress(kind, &tar)).unwrap();
        }
        make_repo(&root.join("repo"));
        Fixture { _dir: dir, root }
    }

    fn url(&self, rel: &str) -> String {
        format!("file://{}/{rel}", self.root.display())
    }

    fn path(&self, rel: &str) -> String {
        format!("{}/{rel}", self.root.display())
    }
}

/// Each expression evaluated by Nix and cairn into fresh stores: the same
/// stdout, or both failing; `ok` says which Nix must do.
fn compare(nix: &Oracle, fixture: &Fixture, exprs: &[(String, bool)]) -> Vec<String> {
    let nix_store = fixture.root.join("nix-store");
    let cairn_store = fixture.root.join("cairn-store");
    let mut problems = Vec::new();
    for (expr, ok) in exprs {
        let want = nix.run(
            nix.command("nix-instantiate")
                .args([
                    "--eval",
                    "--strict",
                    "--extra-experimental-features",
                    "flakes",
                ])
                .arg("--store")
                .arg(&nix_store)
                .args(["-E", expr]),
        );
        let got = cairn_eval(&cairn_store, expr);
        if want.status.success() != *ok {
            problems.push(format!(
                "{expr}: Nix {} where the test expects otherwise: {}",
                if *ok { "failed" } else { "succeeded" },
                String::from_utf8_lossy(&want.stderr).trim()
            ));
        }
        let same = match (want.status.success(), got.status.success()) {
            (true, true) => want.stdout == got.stdout,
            (false, false) => true,
            _ => false,
        };
        if !same {
            problems.push(format!(
                "{expr}\n  Nix:   {}{}\n  cairn: {}{}",
                String::from_utf8_lossy(&want.stdout),
                String::from_utf8_lossy(&want.stderr).trim(),
                String::from_utf8_lossy(&got.stdout),
                String::from_utf8_lossy(&got.stderr).trim()
            ));
        }
    }
    let verify = cairn(&cairn_store, &["store", "verify", "--check-contents"]);
    if !verify.status.success() {
        problems.push(format!(
            "cairn's store does not verify: {}",
            String::from_utf8_lossy(&verify.stderr)
        ));
    }
    problems
}

#[test]
fn fetchers_give_nixs_paths_and_attributes() {
    let Some(nix) = Oracle::require("fetchers_give_nixs_paths_and_attributes") else {
        return;
    };
    let f = Fixture::new();
    let first = git_out(&f.root.join("repo"), &["rev-parse", "HEAD~1"]);
    let zero_hash = "0".repeat(52);
    let succeeding = [
        format!(r#"builtins.fetchurl "{}""#, f.url("src/top/a.txt")),
        format!(
            r#"builtins.fetchurl {{ url = "{}"; name = "renamed"; }}"#,
            f.url("src/top/sub/run")
        ),
        format!(
            r#"builtins.fetchurl {{ url = "{}"; name = "spaced"; }}"#,
            f.url("src/top/with%20space")
        ),
        format!(
            r#"fetchTarball {{ url = "{}"; name = "named"; }}"#,
            f.url("t.tar.gz")
        ),
        format!(
            r#"fetchTree {{ type = "tarball"; url = "{}"; }}"#,
            f.url("t.tar.xz")
        ),
        format!(r#"fetchTree "{}""#, f.url("t.tar.gz")),
        format!(
            r#"fetchTree {{ type = "path"; path = "{}"; }}"#,
            f.path("src")
        ),
        format!(r#"fetchGit {}"#, f.path("repo")),
        format!(r#"fetchGit "{}""#, f.url("repo")),
        format!(
            r#"fetchGit {{ url = {}; rev = "{first}"; }}"#,
            f.path("repo")
        ),
        format!(
            r#"fetchGit {{ url = "{}"; ref = "main"; name = "named"; }}"#,
            f.url("repo")
        ),
        format!(
            r#"fetchGit {{ url = {}; ref = "refs/tags/v1"; }}"#,
            f.path("repo")
        ),
        format!(r#"fetchTree "git+{}""#, f.url("repo")),
        format!(
            r#"fetchTree {{ type = "git"; url = "{}"; rev = "{first}"; }}"#,
            f.url("repo")
        ),
    ];
    let failing = [
        format!(
            r#"builtins.fetchurl {{ url = "{}"; sha256 = "{zero_hash}"; }}"#,
            f.url("src/top/a.txt")
        ),
        format!(r#"builtins.fetchurl "{}""#, f.url("src/missing")),
        // `%` cannot be in a store path name.
        format!(r#"builtins.fetchurl "{}""#, f.url("src/top/with%20space")),
        format!(
            r#"fetchTarball {{ url = "{}"; sha256 = "{zero_hash}"; }}"#,
            f.url("t.tar.gz")
        ),
        format!(
            r#"fetchGit {{ url = {}; rev = "{}"; }}"#,
            f.path("repo"),
            "1".repeat(40)
        ),
    ];
    let mut exprs: Vec<(String, bool)> = succeeding.into_iter().map(|e| (e, true)).collect();
    exprs.extend(failing.into_iter().map(|e| (e, false)));
    for kind in ["tar", "tar.gz", "tar.xz", "tar.bz2", "tar.zst"] {
        exprs.push((
            format!(r#"fetchTarball "{}""#, f.url(&format!("t.{kind}"))),
            true,
        ));
    }
    let mut problems = compare(&nix, &f, &exprs);

    // A dirty work tree: a changed file, a new tracked file, a deleted one
    // (its directory stays, empty) and an untracked one (left out).
    let repo = f.root.join("repo");
    std::fs::write(repo.join("a"), "changed\n").unwrap();
    std::fs::create_dir(repo.join("new")).unwrap();
    std::fs::write(repo.join("new/f"), "new\n").unwrap();
    git(&repo, &["add", "new"]);
    std::fs::remove_file(repo.join("d/b")).unwrap();
    std::fs::write(repo.join("untracked"), "u\n").unwrap();
    problems.extend(compare(
        &nix,
        &f,
        &[(format!("fetchGit {}", f.path("repo")), true)],
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_known_hash_is_used_without_reading_the_url_again() {
    let f = Fixture::new();
    let store = f.root.join("store");
    let file = f.root.join("src/top/a.txt");
    let first = cairn_eval(
        &store,
        &format!(r#"builtins.fetchurl "{}""#, f.url("src/top/a.txt")),
    );
    assert!(first.status.success());
    std::fs::remove_file(&file).unwrap();
    // sha256 of "hello\n"
    let again = cairn_eval(
        &store,
        &format!(
            r#"builtins.fetchurl {{ url = "{}"; sha256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"; }}"#,
            f.url("src/top/a.txt")
        ),
    );
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(first.stdout, again.stdout);
}

#[test]
fn tarballs_without_one_top_directory_keep_every_entry() {
    // Nix 2.8 refuses these; current Nix keeps the whole tree (see
    // crates/eval/tests/DIFFERENCES.md).
    let f = Fixture::new();
    let multi = compress("tar.gz", &tar_of(&f.root.join("src/top"), "."));
    std::fs::write(f.root.join("multi.tar.gz"), multi).unwrap();
    let store = f.root.join("store");
    let out = cairn_eval(
        &store,
        &format!(
            r#"builtins.readDir (fetchTarball "{}")"#,
            f.url("multi.tar.gz")
        ),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{ \"a.txt\" = \"regular\"; link = \"symlink\"; sub = \"directory\"; \"with space\" = \"regular\"; }\n"
    );
}

#[test]
fn tarball_entries_never_land_outside_the_unpacking() {
    let f = Fixture::new();
    // A hand-made header naming `../escaped` (tar::Builder refuses it).
    let mut header = tar::Header::new_old();
    let name = b"../escaped";
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.set_size(4);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut archive = header.as_bytes().to_vec();
    archive.extend_from_slice(b"evil");
    archive.resize(archive.len() + 508, 0);
    archive.resize(archive.len() + 1024, 0);
    let dir = f.root.join("archives");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("evil.tar"), archive).unwrap();
    let store = f.root.join("store");
    let url = format!("file://{}/evil.tar", dir.display());
    let _ = cairn_eval(&store, &format!(r#"fetchTarball "{url}""#));
    let temp = std::env::temp_dir();
    assert!(!dir.parent().unwrap().join("escaped").exists());
    assert!(!temp.join("escaped").exists());
}

/// Serves the files below `root` over HTTP/1.1 on 127.0.0.1, a connection
/// at a time, for as long as the test runs; returns the base URL.
fn serve(root: PathBuf) -> String {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Skip the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let head = request.starts_with("HEAD");
            let reply = match std::fs::read(root.join(path.trim_start_matches('/'))) {
                Ok(body) => (200, body),
                Err(_) => (404, b"not here".to_vec()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                reply.0,
                reply.1.len()
            );
            if !head {
                let _ = stream.write_all(&reply.1);
            }
        }
    });
    base
}

#[test]
fn http_downloads_give_nixs_paths() {
    let Some(nix) = Oracle::require("http_downloads_give_nixs_paths") else {
        return;
    };
    let f = Fixture::new();
    let base = serve(f.root.clone());
    let exprs = vec![
        (format!(r#"builtins.fetchurl "{base}/src/top/a.txt""#), true),
        (format!(r#"fetchTarball "{base}/t.tar.xz""#), true),
        (
            format!(r#"fetchTree {{ type = "tarball"; url = "{base}/t.tar.gz"; }}"#),
            true,
        ),
        (format!(r#"builtins.fetchurl "{base}/missing""#), false),
    ];
    let problems = compare(&nix, &f, &exprs);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn other_urls_are_refused_with_a_reason() {
    let f = Fixture::new();
    let out = cairn_eval(
        &f.root.join("store"),
        r#"builtins.fetchurl "ftp://example.org/x""#,
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cairn fetches file://, http:// and https:// URLs"),
        "{stderr}"
    );
    assert!(stderr.contains("«string»:1:1"), "{stderr}");
}
