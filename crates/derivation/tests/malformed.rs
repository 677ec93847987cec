//! Malformed `.drv` files are refused with an error that says where and why.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use cairn_derivation::{DerivationError, aterm};
use cairn_store::path::{StoreDir, StorePathName};

const OUT: &str = "/nix/store/9g9axn36vgcrl97rk2wlad30qah1dkfk-ab";

fn parse(text: &str) -> Result<(), DerivationError> {
    aterm::parse(
        text.as_bytes(),
        &StoreDir::default(),
        StorePathName::new("ab").unwrap(),
    )
    .map(|_| ())
}

fn valid() -> String {
    format!(
        r#"Derive([("out","{OUT}","","")],[],[],"x86_64-linux","/bin/sh",["-c","x"],[("out","{OUT}")])"#
    )
}

#[test]
fn the_valid_base_case_parses() {
    parse(&valid()).unwrap();
}

#[test]
fn each_defect_is_reported() {
    let fod_path = "/nix/store/23qvwckf0gjik4ws6ybmq4hjk0z6c3zc-f";
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "expected `Derive([`"),
        ("Derive(".into(), "expected `Derive([`"),
        (valid().replace("Derive", "Derivx"), "at byte 0"),
        (valid() + " ", "trailing bytes"),
        (valid()[..valid().len() - 1].to_owned(), "expected `)`"),
        (
            valid().replace(r#""-c","x""#, r#""-c","x"#),
            "expected `,` or `]`",
        ),
        (
            valid()[..valid().len() - 10].to_owned(),
            "unterminated string",
        ),
        (
            valid().replace(r#"[("out","#, r#"[("out" ,"#),
            "expected `,`",
        ),
        (
            valid().replace("[(\"out\"", "[(\"drv\""),
            "invalid output name `drv`",
        ),
        (
            valid().replace("[(\"out\"", "[(\"\""),
            "invalid output name ``",
        ),
        (
            valid().replace(OUT, "/tmp/x"),
            "not directly inside the store directory",
        ),
        (
            valid().replace(r#""","")],"#, r#""","abc")],"#),
            "a hash without an algorithm",
        ),
        (
            valid().replace(r#""","")],"#, r#""sha257","00")],"#),
            "unknown hash algorithm `sha257`",
        ),
        (
            format!(
                r#"Derive([("out","{OUT}","","")],[("/nix/store/66acn01yxvx9qzq9rh9safn41jiyqn6p-f.drv",["out","out"])],[],"s","b",[],[])"#
            ),
            "output named twice",
        ),
        (
            format!(r#"Derive([("out","{OUT}","",""),("out","{OUT}","","")],[],[],"s","b",[],[])"#),
            "output listed twice",
        ),
        (
            format!(r#"Derive([("out","{OUT}","","")],[],[],"s","b",[],[("a","1"),("a","2")])"#),
            "set twice",
        ),
        (
            r#"Derive([],[],[],"s","b",[],[])"#.into(),
            "at least one output",
        ),
        (
            // A fixed output whose path is not the one its hash gives.
            format!(
                r#"Derive([("out","{OUT}","r:sha256","0000000000000000000000000000000000000000000000000000000000000000")],[],[],"s","b",[],[])"#
            ),
            "is not the one its hash gives",
        ),
        (
            format!(r#"Derive([("out","{fod_path}","r:sha256","00")],[],[],"s","b",[],[])"#),
            "sha256",
        ),
    ];
    let mut failures = Vec::new();
    for (text, expected) in &cases {
        match parse(text) {
            Ok(()) => failures.push(format!("accepted: {text}")),
            Err(e) if !e.to_string().contains(expected) => failures.push(format!(
                "{text}\n  error `{e}` does not mention `{expected}`"
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
