//! `cairn eval`: evaluate a Nix expression and print its value, as
//! `nix-instantiate --eval` does.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use cairn_eval::store::{EvalStore, LocalEvalStore};
use cairn_eval::{
    ErrorKind, EvalError, EvalOptions, Evaluator, PrintOptions, SearchPathEntry, Value, print_value,
};
use cairn_store::local::LocalStoreConfig;

use crate::output::write_stdout;
use crate::{Exit, Failure, GlobalOptions};

/// Where the expression comes from and how it is called: the options
/// `cairn eval`, `cairn instantiate` and `cairn build` share with
/// nix-instantiate.
#[derive(Debug, clap::Args)]
pub struct ExprArgs {
    /// The file to evaluate (`-` for stdin; a directory means its default.nix).
    #[arg(conflicts_with = "expr")]
    file: Option<PathBuf>,
    /// Evaluate EXPR instead of a file.
    #[arg(short = 'E', long = "expr", value_name = "EXPR")]
    expr: Option<String>,
    /// Select the value at ATTRPATH (repeatable: one value each).
    #[arg(short = 'A', long = "attr", value_name = "ATTRPATH")]
    attr: Vec<String>,
    /// Pass the value of EXPR as argument NAME to a top-level function.
    #[arg(long, num_args = 2, value_names = ["NAME", "EXPR"])]
    arg: Vec<String>,
    /// Pass the string VALUE as argument NAME to a top-level function.
    #[arg(long, num_args = 2, value_names = ["NAME", "VALUE"])]
    argstr: Vec<String>,
    /// Add a search path entry (`PATH` or `NAME=PATH`) for `<…>` lookups,
    /// before those of NIX_PATH.
    #[arg(short = 'I', value_name = "PATH")]
    include: Vec<String>,
    /// Fail cleanly past this depth of nested calls.
    #[arg(long, value_name = "N")]
    max_call_depth: Option<usize>,
    /// Show the chain of "while evaluating" frames of an error.
    #[arg(long)]
    show_trace: bool,
    /// Refuse to build derivations whose outputs evaluation reads (`import`,
    /// `readFile` … of a path in an output), as Nix's
    /// `allow-import-from-derivation = false`.
    #[arg(long)]
    no_allow_import_from_derivation: bool,
}

/// Arguments for calling functions, by name (`--arg`, `--argstr`).
pub(crate) type AutoArgs = Vec<(String, Value)>;

impl ExprArgs {
    /// The file argument, when one was given (`cairn build` also takes
    /// `.drv` paths there).
    pub(crate) fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// True when `-E` gave the expression.
    pub(crate) fn has_expr(&self) -> bool {
        self.expr.is_some()
    }

    /// The options for evaluating `file` and selecting `attrs` in it, as
    /// commands that take `-f FILE -A ATTR` without the other options build.
    pub(crate) fn file_with_attrs(file: PathBuf, attrs: Vec<String>) -> ExprArgs {
        ExprArgs {
            file: Some(file),
            expr: None,
            attr: attrs,
            arg: Vec::new(),
            argstr: Vec::new(),
            include: Vec::new(),
            max_call_depth: None,
            show_trace: false,
            no_allow_import_from_derivation: false,
        }
    }

    /// An evaluator with these options, using `store`.
    pub(crate) fn evaluator(&self, store: Box<dyn EvalStore>) -> Evaluator {
        self.evaluator_with(store, false)
    }

    /// An evaluator with these options, using `store`; `output_forced` says
    /// that every value printed is forced first, which lets the evaluator
    /// compute cheap expressions eagerly (`EvalOptions::compute_cheap_eagerly`).
    pub(crate) fn evaluator_with(
        &self,
        store: Box<dyn EvalStore>,
        output_forced: bool,
    ) -> Evaluator {
        let mut search_path: Vec<SearchPathEntry> = self
            .include
            .iter()
            .map(|s| SearchPathEntry::parse(s))
            .collect();
        if let Ok(nix_path) = std::env::var("NIX_PATH") {
            search_path.extend(SearchPathEntry::parse_nix_path(&nix_path));
        }
        let mut options = EvalOptions {
            search_path,
            allow_import_from_derivation: !self.no_allow_import_from_derivation,
            compute_cheap_eagerly: output_forced,
            ..EvalOptions::default()
        };
        if let Some(depth) = self.max_call_depth {
            options.max_call_depth = Some(depth);
        }
        Evaluator::with_store(options, store)
    }

    /// Evaluates, then finds the derivations of each selected value as
    /// `nix-instantiate` does, writing their `.drv` files through the
    /// evaluator's store (flushed before returning). An evaluation error is
    /// reported here, with its source.
    pub(crate) fn derivations(
        &self,
        evaluator: &mut Evaluator,
    ) -> Result<Vec<cairn_eval::FoundDerivation>, Failure> {
        let cwd = std::env::current_dir().context("finding the current directory")?;
        let found = (|| {
            let (values, auto_args) = self.selected_values(evaluator, &cwd)?;
            let mut found = Vec::new();
            for value in values {
                found.extend(evaluator.find_derivations(&value, &auto_args)?);
            }
            Ok(found)
        })();
        match found {
            Ok(found) => {
                evaluator.flush_store()?;
                Ok(found)
            }
            Err(error) => {
                eprint!("{}", evaluator.render_error(&error));
                Err(Failure::reported(Exit::Failure))
            }
        }
    }

    /// Evaluates the file or expression and returns each selected value
    /// (`-A`; the whole value without it) with the arguments for calling
    /// functions (`--arg`, `--argstr`).
    pub(crate) fn selected_values(
        &self,
        evaluator: &mut Evaluator,
        cwd: &Path,
    ) -> cairn_eval::EvalResult<(Vec<Value>, AutoArgs)> {
        let root = match (&self.expr, &self.file) {
            (Some(expr), _) => evaluator.eval_str(expr, cwd)?,
            (None, Some(file)) if file.as_os_str() == "-" => {
                let mut source = String::new();
                std::io::stdin().read_to_string(&mut source).map_err(|e| {
                    EvalError::new(ErrorKind::Other(format!("reading stdin: {e}")), None)
                })?;
                evaluator.eval_str(&source, cwd)?
            }
            (None, Some(file)) => evaluator.eval_file(&cwd.join(file))?,
            (None, None) => evaluator.eval_file(&cwd.join("default.nix"))?,
        };
        let mut auto_args = AutoArgs::new();
        for pair in self.arg.chunks(2) {
            if let [name, expr] = pair {
                auto_args.push((name.clone(), evaluator.eval_str(expr, cwd)?));
            }
        }
        for pair in self.argstr.chunks(2) {
            if let [name, value] = pair {
                auto_args.push((name.clone(), Value::string(value.clone())));
            }
        }
        let paths: Vec<&str> = if self.attr.is_empty() {
            vec![""]
        } else {
            self.attr.iter().map(String::as_str).collect()
        };
        let mut values = Vec::with_capacity(paths.len());
        for path in paths {
            values.push(evaluator.select_attr_path(&root, path, &auto_args)?);
        }
        Ok((values, auto_args))
    }
}

/// Evaluate a Nix expression and print its value.
///
/// Stdout is byte-for-byte what `nix-instantiate --eval` prints with the
/// same flags, so `cairn eval` can stand in for it in scripts. As
/// nix-instantiate, it does not write to the store: a path used in a string
/// gets the store path it would have (unless --read-write-mode).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    expr: ExprArgs,
    /// Evaluate completely, not just to the outermost constructor.
    #[arg(long)]
    strict: bool,
    /// Print the value as JSON (implies --strict).
    #[arg(long)]
    json: bool,
    /// Print the value as XML, like `nix-instantiate --eval --xml`.
    #[arg(long, conflicts_with = "json")]
    xml: bool,
    /// With --xml: leave out source positions.
    #[arg(long)]
    no_location: bool,
    /// Accepted for compatibility with nix-instantiate: cairn eval always evaluates.
    #[arg(long, hide = true)]
    eval: bool,
    /// Copy paths into the store and write derivations, instead of only
    /// computing their paths.
    #[arg(long)]
    read_write_mode: bool,
}

pub(crate) fn run(global: &GlobalOptions, args: Args) -> Result<(), Failure> {
    let config = LocalStoreConfig::chroot(&global.store);
    let store = if args.read_write_mode {
        LocalEvalStore::new(config).with_builder(crate::ifd::builder(
            crate::ifd::default_settings(),
            global.quiet,
        ))
    } else {
        LocalEvalStore::dry_run(config)
    };
    // Strict output (`--strict`, `--json`, `--xml --strict`) forces every
    // value it prints, so no unevaluated thunk is ever shown.
    let output_forced = args.strict || args.json;
    let mut evaluator = args.expr.evaluator_with(Box::new(store), output_forced);
    let cwd = std::env::current_dir().context("finding the current directory")?;
    let result = match evaluate(&mut evaluator, &args, &cwd) {
        Ok(out) => {
            evaluator.flush_store()?;
            write_stdout(out.as_bytes())
        }
        Err(error) => {
            // Rendered here with its source excerpt; the exit code says the rest.
            eprint!("{}", evaluator.render_error(&error));
            Err(Failure::reported(Exit::Failure))
        }
    };
    // The process ends next: freeing every value one by one would only
    // cost time (a large evaluation's heap takes a noticeable share of the
    // run to free). The store was flushed above.
    std::mem::forget(evaluator);
    result
}

fn evaluate(evaluator: &mut Evaluator, args: &Args, cwd: &Path) -> cairn_eval::EvalResult<String> {
    let (values, auto_args) = args.expr.selected_values(evaluator, cwd)?;
    let mut out = String::new();
    for mut value in values {
        if !auto_args.is_empty() {
            value = evaluator.auto_call(&value, &auto_args)?;
        }
        if args.xml {
            // The XML document ends with its own newline.
            out.push_str(&evaluator.to_xml(&value, args.strict, !args.no_location)?);
        } else if args.json {
            // As nix-instantiate: JSON is printed without a newline.
            evaluator.force_deep(&value)?;
            out.push_str(&evaluator.to_json(&value)?);
        } else {
            if args.strict {
                evaluator.force_deep(&value)?;
            }
            out.push_str(&print_value(&value, PrintOptions::default()));
            out.push('\n');
        }
    }
    Ok(out)
}
