#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
//! Building the sample system (`examples/system`) in an empty chroot
//! store: its toplevel `.drv` is the one Nix 2.8 instantiates from the same
//! modules, and its toplevel has the layout NixOS users expect.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cairn_build::{BindPath, BuildSettings, Quiet};
use cairn_eval::store::LocalEvalStore;
use cairn_os_activate::system::{self, SystemSpec};
use cairn_store::local::LocalStoreConfig;
use cairn_testkit::Oracle;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/system/configuration.nix")
}

fn spec(configuration: PathBuf) -> SystemSpec {
    SystemSpec {
        configuration,
        nix_dir: system::default_nix_dir(),
        search_path: Vec::new(),
    }
}

fn settings() -> BuildSettings {
    BuildSettings {
        sandbox_paths: vec![BindPath::new("/bin/sh", cairn_testkit::HOST_BUSYBOX)],
        build_users: BuildSettings::system_build_users(1),
        ..BuildSettings::default()
    }
}

#[test]
fn sample_toplevel_drv_is_nixs() {
    let Some(oracle) = Oracle::require("os-activate::sample_toplevel_drv_is_nixs") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ours = system::instantiate(
        &spec(sample()),
        Box::new(LocalEvalStore::new(LocalStoreConfig::chroot(
            dir.path().join("cairn"),
        ))),
    )
    .unwrap();
    assert_eq!(
        nix_toplevel_drv(&oracle, &dir.path().join("nix"), &sample(), &[]),
        format!("/nix/store/{}", ours.drv)
    );
}

/// The toplevel `.drv` path `nix-instantiate` gives for `configuration`,
/// with cairn's library and `search_path` (`-I` entries) on the search path.
fn nix_toplevel_drv(
    oracle: &Oracle,
    store: &Path,
    configuration: &Path,
    search_path: &[String],
) -> String {
    let expr = format!(
        "(import <cairn/system.nix> {{ configuration = {}; }}).toplevel",
        configuration.display()
    );
    let mut command = oracle.command("nix-instantiate");
    command
        .arg("--store")
        .arg(store)
        .arg("-I")
        .arg(format!("cairn={}", system::default_nix_dir().display()));
    for entry in search_path {
        command.arg("-I").arg(entry);
    }
    let out = oracle.run_ok(command.args(["-E", &expr]));
    String::from_utf8(out).unwrap().trim().to_owned()
}

#[test]
fn sample_builds_into_an_empty_store() {
    if !rustix::process::geteuid().is_root() {
        assert!(
            !cairn_testkit::in_ci(),
            "building the sample needs root (the sandbox) under CI"
        );
        eprintln!("SKIP sample_builds_into_an_empty_store: the sandbox needs root");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let toplevel = system::build(&spec(sample()), root.path(), &settings(), &Quiet).unwrap();
    assert!(
        toplevel.to_string().ends_with("-cairn-system-sample-0.1"),
        "{toplevel}"
    );
    let host = |p: &str| {
        root.path()
            .join("nix/store")
            .join(p.trim_start_matches("/nix/store/"))
    };
    let top = host(&toplevel.to_string());
    // Symlinks name logical store paths; read through them by hand.
    let follow = |link: PathBuf| host(std::fs::read_link(link).unwrap().to_str().unwrap());

    assert_eq!(
        std::fs::read_to_string(top.join("init-interface-version")).unwrap(),
        "systemd 2"
    );
    assert_eq!(
        std::fs::read_to_string(top.join("kernel-params")).unwrap(),
        "console=ttyS0 quiet"
    );
    let activate = std::fs::read_to_string(top.join("activate")).unwrap();
    assert!(
        activate.contains(&format!("systemConfig='/nix/store/{toplevel}'")),
        "{activate}"
    );
    assert!(activate.contains("mkdir -p /var/www"));
    assert_eq!(
        std::fs::metadata(top.join("activate"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o555
    );

    let etc = follow(top.join("etc"));
    assert_eq!(
        std::fs::read_to_string(etc.join("hostname")).unwrap(),
        "sample\n"
    );
    assert_eq!(
        std::fs::read_to_string(etc.join("motd")).unwrap(),
        "Welcome to sample, a cairn machine.\n"
    );
    assert!(
        std::fs::read_to_string(etc.join("httpd/httpd.conf"))
            .unwrap()
            .starts_with("H:/nix/store/")
    );
    assert_eq!(
        std::fs::read_to_string(etc.join("httpd/httpd.conf.mode")).unwrap(),
        "0640"
    );
    assert_eq!(
        std::fs::read_to_string(etc.join("httpd/httpd.conf.uid")).unwrap(),
        "www"
    );
    assert!(
        std::fs::read_link(etc.join("localtime"))
            .unwrap()
            .to_string_lossy()
            .ends_with("Europe/Paris")
    );

    let units = follow(top.join("systemd"));
    let httpd = std::fs::read_to_string(units.join("httpd.service")).unwrap();
    assert!(
        httpd.contains("Description=busybox web server\n"),
        "{httpd}"
    );
    assert!(httpd.contains("\nUser=www\n"), "{httpd}");
    assert_eq!(
        std::fs::read_link(units.join("multi-user.target.wants/httpd.service")).unwrap(),
        Path::new("../httpd.service")
    );
    assert!(units.join("cleanup.timer").exists());
    assert!(std::fs::symlink_metadata(units.join("timers.target.wants/cleanup.timer")).is_ok());
    // The unit script is an executable tree of its own.
    let exec = httpd
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let script = std::fs::read_to_string(host(exec)).unwrap();
    assert!(
        script.starts_with("#!/nix/store/") && script.contains("exec httpd -f -p 8080"),
        "{script}"
    );

    // sw is the buildenv of the system packages: busybox's applets.
    let sw = follow(top.join("sw"));
    assert!(
        std::fs::read_link(sw.join("bin"))
            .unwrap()
            .to_string_lossy()
            .ends_with("-busybox/bin")
    );
    assert!(std::fs::symlink_metadata(sw.join("manifest.nix")).is_ok());

    let accounts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(top.join("users-groups.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = accounts["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    for name in ["alice", "bob", "www", "root", "nobody"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let units_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(top.join("units.json")).unwrap()).unwrap();
    assert_eq!(
        units_json["httpd.service"]["wantedBy"][0],
        "multi-user.target"
    );

    // Building again changes nothing and gives the same path.
    let again = system::build(&spec(sample()), root.path(), &settings(), &Quiet).unwrap();
    assert_eq!(again, toplevel);
}

#[test]
fn a_failing_assertion_stops_before_building() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.nix");
    std::fs::write(
        &bad,
        r#"{ ... }: { nixpkgs.pkgs = { }; users.users.x = { }; }"#,
    )
    .unwrap();
    let err = system::instantiate(
        &spec(bad),
        Box::new(LocalEvalStore::new(LocalStoreConfig::chroot(
            dir.path().join("store"),
        ))),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Failed assertions"), "{text}");
    assert!(text.contains("users.users.x"), "{text}");
    // Nothing was built: the store holds no toplevel.
    let store = dir.path().join("store/nix/store");
    let built: Vec<_> = std::fs::read_dir(&store)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !built.iter().any(|n: &String| n.contains("cairn-system")),
        "{built:?}"
    );
}

#[test]
fn the_embedded_library_gives_the_same_system() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = cairn_os_activate::library::materialise(&dir.path().join("cache")).unwrap();
    let instantiate = |nix_dir: PathBuf, store: &str| {
        let spec = SystemSpec {
            configuration: sample(),
            nix_dir,
            search_path: Vec::new(),
        };
        let store = LocalEvalStore::dry_run(LocalStoreConfig::chroot(dir.path().join(store)));
        system::instantiate(&spec, Box::new(store)).unwrap()
    };
    assert_eq!(
        instantiate(embedded, "a"),
        instantiate(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nix"), "b")
    );
}

/// With `-I nixpkgs=DIR`, modules get `import <nixpkgs> { }` as `pkgs`
/// without naming a package set; Nix instantiates the same toplevel.
#[test]
fn pkgs_is_nixpkgs_from_the_search_path() {
    let Some(oracle) = Oracle::require("os-activate::pkgs_is_nixpkgs_from_the_search_path") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let nixpkgs = dir.path().join("nixpkgs");
    std::fs::create_dir_all(&nixpkgs).unwrap();
    std::fs::write(
        nixpkgs.join("default.nix"),
        r#"{ system ? builtins.currentSystem, ... }: {
  hello = derivation {
    name = "hello-from-the-search-path";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "mkdir -p $out/bin" ];
  };
}
"#,
    )
    .unwrap();
    let configuration = dir.path().join("configuration.nix");
    std::fs::write(
        &configuration,
        r#"{ pkgs, ... }: {
  networking.hostName = "searched";
  environment.systemPackages = [ pkgs.hello ];
}
"#,
    )
    .unwrap();
    let instantiate = |search_path: Vec<cairn_eval::SearchPathEntry>, store: &str| {
        let spec = SystemSpec {
            search_path,
            ..spec(configuration.clone())
        };
        let store = LocalEvalStore::new(LocalStoreConfig::chroot(dir.path().join(store)));
        system::instantiate(&spec, Box::new(store))
    };

    // Without nixpkgs there is no `pkgs` to take `hello` from.
    let text = instantiate(Vec::new(), "without").unwrap_err().to_string();
    assert!(text.contains("nixpkgs.pkgs"), "{text}");

    let ours = instantiate(
        vec![cairn_eval::SearchPathEntry {
            prefix: Some("nixpkgs".into()),
            path: nixpkgs.clone(),
        }],
        "cairn",
    )
    .unwrap();
    assert_eq!(
        nix_toplevel_drv(
            &oracle,
            &dir.path().join("nix"),
            &configuration,
            &[format!("nixpkgs={}", nixpkgs.display())]
        ),
        format!("/nix/store/{}", ours.drv)
    );
    // The package came from the search path: its `.drv` is in the store.
    let drvs: Vec<String> = std::fs::read_dir(dir.path().join("cairn/nix/store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        drvs.iter()
            .any(|n| n.ends_with("-hello-from-the-search-path.drv")),
        "{drvs:?}"
    );
}
