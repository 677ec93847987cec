//! A tiny `nix-instantiate --eval` look-alike for trying the evaluator:
//! `cargo run -p cairn-eval --example nix-eval -- [--strict] [--json | --xml [--no-location]] (-E EXPR | FILE)`.

use std::path::Path;

use cairn_eval::{EvalOptions, Evaluator, PrintOptions, print_value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let strict = args.iter().any(|a| a == "--strict");
    let json = args.iter().any(|a| a == "--json");
    let xml = args.iter().any(|a| a == "--xml");
    let location = !args.iter().any(|a| a == "--no-location");
    let mut ev = Evaluator::new(EvalOptions::default());
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let result = match args.iter().position(|a| a == "-E") {
        Some(i) => ev.eval_str(args.get(i + 1).map_or("", String::as_str), &cwd),
        None => match args.iter().find(|a| !a.starts_with("--")) {
            Some(f) => ev.eval_file(Path::new(f)),
            None => {
                eprintln!(
                    "usage: nix-eval [--strict] [--json | --xml [--no-location]] (-E EXPR | FILE)"
                );
                std::process::exit(2);
            }
        },
    };
    let out = result.and_then(|v| {
        if strict || json {
            ev.force_deep(&v)?;
        }
        if xml {
            ev.to_xml(&v, strict, location)
        } else if json {
            ev.to_json(&v)
        } else {
            Ok(print_value(&v, PrintOptions::default()))
        }
    });
    match out {
        Ok(s) if xml => print!("{s}"),
        Ok(s) => println!("{s}"),
        Err(e) => {
            eprint!("{}", ev.render_error(&e));
            std::process::exit(1);
        }
    }
}
