//! Differential tests on damaged narinfos: what Nix rejects, cairn rejects;
//! what Nix accepts, cairn accepts, except for the documented cases where
//! cairn is stricter (see the crate README, "Design decisions").
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::fs;
use std::path::Path;

use cairn_cache::NarInfo;
use cairn_store::path::StoreDir;
use cairn_testkit::Oracle;

/// A narinfo Nix 2.8 wrote for an input-addressed path with references.
const D: &str = "\
StorePath: /nix/store/rdra7rh01cpim2kx5l5w1flx4m85wszy-d
URL: nar/11rnlzfjpf7qgjgds9h500qmr9kkam5pcygk23ibk5i786kynp3p.nar.xz
Compression: xz
FileHash: sha256:11rnlzfjpf7qgjgds9h500qmr9kkam5pcygk23ibk5i786kynp3p
FileSize: 208
NarHash: sha256:141mwm456cjrdxxlqyjxb4c64wpmzxvjprwqaxbfwi6zvcv505sz
NarSize: 208
References: 07dddsibwwbapv5ddhm9kbb0mkd0zg2k-t z3n6ml62lc6l9glpaz6fq7fvi2rks9vq-a.txt
Deriver: cqpx1wsw54z1lwhh735gs0lblgqkl0qw-d.drv
Sig: test-1:nZOkEWcfL9LI43uiqIXkufG17jUo3d2Poqx8364Ck86Bs+4pgsCTEPgDh7rwBndzieZ7SL0TwqJ31/sXft6XBw==
";
const PATH: &str = "/nix/store/rdra7rh01cpim2kx5l5w1flx4m85wszy-d";

#[derive(Debug, PartialEq)]
enum Verdict {
    Accepts,
    Rejects,
}

/// Does Nix accept `narinfo` as the info of `PATH` in a `file://` cache?
fn nix_verdict(oracle: &Oracle, dir: &Path, narinfo: &str) -> Verdict {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("nix-cache-info"), "StoreDir: /nix/store\n").unwrap();
    fs::write(
        dir.join("rdra7rh01cpim2kx5l5w1flx4m85wszy.narinfo"),
        narinfo,
    )
    .unwrap();
    let mut cmd = oracle.command("nix");
    cmd.args([
        "path-info",
        "--store",
        &format!("file://{}", dir.display()),
        PATH,
    ]);
    if oracle.run(&mut cmd).status.success() {
        Verdict::Accepts
    } else {
        Verdict::Rejects
    }
}

fn cairn_verdict(narinfo: &str) -> Verdict {
    match NarInfo::parse(&StoreDir::default(), narinfo) {
        Ok(_) => Verdict::Accepts,
        Err(_) => Verdict::Rejects,
    }
}

#[test]
fn damaged_narinfos_are_judged_like_nix() {
    let Some(oracle) = Oracle::require("damaged_narinfos_are_judged_like_nix") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let r = |from: &str, to: &str| {
        assert!(D.contains(from), "{from}");
        D.replacen(from, to, 1)
    };
    // (name, narinfo, what Nix does, what cairn does)
    use Verdict::{Accepts, Rejects};
    let cases = [
        ("intact", D.to_owned(), Accepts, Accepts),
        (
            "no NarHash",
            r(
                "NarHash: sha256:141mwm456cjrdxxlqyjxb4c64wpmzxvjprwqaxbfwi6zvcv505sz\n",
                "",
            ),
            Rejects,
            Rejects,
        ),
        (
            "no StorePath",
            r(
                "StorePath: /nix/store/rdra7rh01cpim2kx5l5w1flx4m85wszy-d\n",
                "",
            ),
            Rejects,
            Rejects,
        ),
        (
            "no URL",
            r(
                "URL: nar/11rnlzfjpf7qgjgds9h500qmr9kkam5pcygk23ibk5i786kynp3p.nar.xz\n",
                "",
            ),
            Rejects,
            Rejects,
        ),
        (
            "NarSize 0",
            r("NarSize: 208", "NarSize: 0"),
            Rejects,
            Rejects,
        ),
        (
            "no final newline",
            D.trim_end().to_owned(),
            Rejects,
            Rejects,
        ),
        (
            "bad NarHash",
            r("NarHash: sha256:1", "NarHash: sha256:!"),
            Rejects,
            Rejects,
        ),
        ("empty line", r("\nURL", "\n\nURL"), Rejects, Rejects),
        (
            "absolute reference",
            r("References: 07", "References: /nix/store/07"),
            Rejects,
            Rejects,
        ),
        (
            "bad Deriver",
            r("Deriver: cq", "Deriver: /cq"),
            Rejects,
            Rejects,
        ),
        // Leniency both share.
        ("unknown field", format!("{D}Foo: bar\n"), Accepts, Accepts),
        (
            "no Compression",
            r("Compression: xz\n", ""),
            Accepts,
            Accepts,
        ),
        (
            "unknown-deriver",
            r(
                "Deriver: cqpx1wsw54z1lwhh735gs0lblgqkl0qw-d.drv",
                "Deriver: unknown-deriver",
            ),
            Accepts,
            Accepts,
        ),
        (
            "SRI NarHash",
            r(
                "sha256:141mwm456cjrdxxlqyjxb4c64wpmzxvjprwqaxbfwi6zvcv505sz",
                "sha256-NG9ML4BHuFqlsS0P5hxdIz0KMKS/8uuUw/Ui6+zu2co=",
            ),
            Accepts,
            Accepts,
        ),
        // cairn is stricter (documented in the README).
        (
            "duplicate URL",
            format!("{D}URL: other\n"),
            Accepts,
            Rejects,
        ),
        (
            "no space after colon",
            r("URL: ", "URL:x"),
            Accepts,
            Rejects,
        ),
        (
            "signed NarSize",
            r("NarSize: 208", "NarSize: +208"),
            Accepts,
            Rejects,
        ),
        (
            "unknown Compression",
            r("Compression: xz", "Compression: rar"),
            Accepts,
            Rejects,
        ),
        (
            "malformed Sig",
            r("Sig: test-1:", "Sig: test-1"),
            Accepts,
            Rejects,
        ),
    ];
    let mut mismatches = Vec::new();
    for (i, (name, text, nix, cairn)) in cases.iter().enumerate() {
        let nix_says = nix_verdict(&oracle, &tmp.path().join(format!("cache-{i}")), text);
        let cairn_says = cairn_verdict(text);
        if nix_says != *nix || cairn_says != *cairn {
            mismatches.push(format!(
                "{name}: Nix {nix_says:?} (expected {nix:?}), cairn {cairn_says:?} (expected {cairn:?})"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
