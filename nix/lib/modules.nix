# The module system: collecting modules through `imports`, merging option
# declarations, and merging definitions by priority, condition and order.
#
# Vocabulary (as in NixOS):
# - a *declaration* is an `options.…` value made with `mkOption`;
# - a *definition* is a `config.…` value; `{ file, value }` pairs keep the
#   file each one came from, so errors can name it;
# - *properties* wrap definitions: mkIf, mkMerge, mkOverride, mkOrder.
{ lib }:
let
  inherit (builtins)
    attrNames length head filter concatMap isAttrs isList isBool isString isPath
    mapAttrs elem foldl' all addErrorContext listToAttrs;
  inherit (lib) showOption showDefs showFiles isOption;

  typeOf = x: if isAttrs x then x._type or "" else "";

  # Attributes of a module that are not configuration in its shorthand form.
  moduleKeys = [ "_file" "key" "imports" "options" "config" "disabledModules" "_class" "freeformType" ];
in
rec {
  # --- Properties -----------------------------------------------------------

  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  # A definition without mkOverride has this priority; lower numbers win.
  defaultOverridePriority = 100;
  mkOptionDefault = mkOverride 1500; # an option's `default`
  mkDefault = mkOverride 1000;
  mkImageMediaOverride = mkOverride 60;
  mkForce = mkOverride 50;
  mkVMOverride = mkOverride 10;
  mkOrder = priority: content: { _type = "order"; inherit priority content; };
  defaultOrderPriority = 1000;
  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;
  # Defines `to` in the way the option at `from` would be defined.
  mkAliasDefinitions = option: mkAliasAndWrapDefinitions (x: x) option;
  mkAliasAndWrapDefinitions = wrap: option:
    mkIf (isOption option && option.isDefined) (wrap (mkMerge option.definitions));

  # --- Flattening properties ------------------------------------------------

  # A definition at a namespace (not an option) is an attribute set, maybe
  # wrapped in properties: push mkIf and mkOverride down onto each attribute
  # so that the names are known without evaluating any condition.
  pushDownProperties = cfg:
    let t = typeOf cfg; in
    if t == "merge" then concatMap pushDownProperties cfg.contents
    else if t == "if" then map (mapAttrs (_: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
    else if t == "override" then map (mapAttrs (_: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
    else [ cfg ];

  # The definitions that a definition stands for, once mkMerge is expanded
  # and mkIf is decided. mkOverride and mkOrder are kept for later.
  dischargeProperties = def:
    let t = typeOf def; in
    if t == "merge" then concatMap dischargeProperties def.contents
    else if t == "if" then
      (if !isBool def.condition then throw "`mkIf' called with a non-Boolean condition"
       else if def.condition then dischargeProperties def.content else [ ])
    else [ def ];

  # Keeps the definitions with the best (lowest) priority.
  filterOverrides = defs:
    let
      prio = d: if typeOf d.value == "override" then d.value.priority else defaultOverridePriority;
      highestPrio = foldl' (m: d: lib.min m (prio d)) 9999 defs;
      strip = d:
        if typeOf d.value == "override"
        then map (v: d // { value = v; }) (dischargeProperties d.value.content)
        else [ d ];
    in {
      inherit highestPrio;
      values = concatMap (d: if prio d == highestPrio then strip d else [ ]) defs;
    };

  # Orders definitions by mkOrder priority; `builtins.sort` is stable, so
  # equal priorities keep module order.
  sortProperties = defs:
    let
      withPrio = map (d:
        if typeOf d.value == "order"
        then { inherit (d) file; value = d.value.content; p = d.value.priority; }
        else { inherit (d) file value; p = defaultOrderPriority; }) defs;
    in map (d: { inherit (d) file value; }) (builtins.sort (a: b: a.p < b.p) withPrio);

  # --- Merging the definitions of one option --------------------------------

  mergeDefinitions = loc: type: defs: rec {
    discharged = concatMap (d:
      map (v: { inherit (d) file; value = v; })
        (addErrorContext "while evaluating definitions from `${toString d.file}':" (dischargeProperties d.value)))
      defs;
    overridden = filterOverrides discharged;
    defsFinal = sortProperties overridden.values;
    inherit (overridden) highestPrio;
    isDefined = defsFinal != [ ];
    mergedValue =
      if !isDefined then
        throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option."
      else if all (d: type.check d.value) defsFinal then type.merge loc defsFinal
      else
        throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs (filter (d: !type.check d.value) defsFinal)}";
    optionalValue = if isDefined then { value = mergedValue; } else { };
  };

  # Merges the declarations of one option made in several modules.
  mergeOptionDecls = loc: decls:
    foldl' (acc: d:
      let
        o = d.value;
        clash = k: o ? ${k} && acc ? ${k};
        type =
          if o ? type && acc ? type then
            (let m = acc.type.typeMerge o.type; in
             if m == null then throw "The option `${showOption loc}' in `${toString d.file}' is already declared in ${showFiles acc.declarations}."
             else m)
          else o.type or acc.type or null;
      in
      if acc == null then removeAttrs o [ "_type" ] // { declarations = [ d.file ]; }
      else if clash "default" || clash "apply" || clash "example" && o.example != acc.example then
        throw "The option `${showOption loc}' in `${toString d.file}' is already declared in ${showFiles acc.declarations}."
      else acc // removeAttrs o [ "_type" "type" ] // {
        declarations = acc.declarations ++ [ d.file ];
      } // lib.optionalAttrs (type != null) { inherit type; })
      null decls;

  # Evaluates one option: its merged declaration plus its value.
  evalOption = loc: decls: defs:
    let
      opt = mergeOptionDecls loc decls;
      type = opt.type or lib.types.unspecified;
      defaultDef = lib.optional (opt ? default) { file = head opt.declarations; value = mkOptionDefault opt.default; };
      res = mergeDefinitions loc type (defaultDef ++ defs);
      value = if opt ? apply then opt.apply res.mergedValue else res.mergedValue;
    in
    opt // {
      _type = "option";
      inherit loc type;
      value = addErrorContext "while evaluating the option `${showOption loc}':" value;
      isDefined = res.isDefined;
      highestPrio = res.highestPrio;
      definitions = map (d: d.value) res.defsFinal;
      definitionsWithLocations = res.defsFinal;
      files = lib.unique (map (d: d.file) res.defsFinal);
    };

  # Merges one level of the option tree. `decls` are the option subtrees
  # of every module at `loc`, `defs` their configuration subtrees.
  # Returns the options, the configuration, and the definitions that match
  # no declaration (reported by the `_module.check`).
  mergeLevel = loc: decls: defs:
    let
      declsHere = filter (d:
        if isAttrs d.value then true
        else throw "The option declarations of `${showOption loc}' in `${toString d.file}' are not an attribute set.") decls;
      pushed = concatMap (d:
        let
          parts = pushDownProperties d.value;
          check = p:
            if isAttrs p then { inherit (d) file; value = p; }
            else throw "The definition of `${showOption loc}' in `${toString d.file}' is not an attribute set, but `${showOption loc}' is a set of options, not an option. Definition value: ${lib.toPretty p}";
        in map check parts) defs;
      names = lib.unique (concatMap (d: attrNames d.value) declsHere);
      pick = name: list: concatMap (d: if d.value ? ${name} then [ { inherit (d) file; value = d.value.${name}; } ] else [ ]) list;
      child = name:
        let
          childLoc = loc ++ [ name ];
          ds = pick name declsHere;
          optDecls = filter (d: isOption d.value) ds;
          nested = filter (d: !isOption d.value) ds;
        in
        if optDecls == [ ] then mergeLevel childLoc ds (pick name pushed)
        else if nested != [ ] then
          throw "The option `${showOption childLoc}' in ${showFiles (map (d: d.file) nested)} is a prefix of options in ${showFiles (map (d: d.file) optDecls)}."
        else
          let opt = evalOption childLoc optDecls (pick name pushed); in
          { options = opt; config = opt.value; unmatched = [ ]; };
      children = lib.genAttrs names child;
      unmatchedHere = concatMap (d:
        concatMap (n: if elem n names then [ ] else [ { loc = loc ++ [ n ]; inherit (d) file; value = d.value.${n}; } ])
          (attrNames d.value)) pushed;
    in {
      options = mapAttrs (_: c: c.options) children;
      config = mapAttrs (_: c: c.config) children;
      unmatched = unmatchedHere ++ concatMap (n: children.${n}.unmatched) names;
    };

  # --- Loading modules ------------------------------------------------------

  # Calls a module function with the arguments it asks for: the fixed ones
  # (`config`, `options`, `lib`, specialArgs) and any `_module.args` entry.
  applyModuleArgs = key: f: args:
    let
      wanted = lib.functionArgs f;
      extra = mapAttrs (name: _:
        addErrorContext "while evaluating the module argument `${name}' in \"${key}\":"
          (args.${name} or args.config._module.args.${name})) wanted;
    in f (args // extra);

  # The normal form of a module's attribute set.
  unifyModuleSyntax = file: key: m:
    let
      file' = toString (m._file or file);
      explicit = m ? config || m ? options;
      stray = removeAttrs m moduleKeys;
    in
    if !isAttrs m then throw "The module `${file'}' is not an attribute set or a function returning one."
    else if explicit && stray != { } then
      throw "Module `${file'}' has an unsupported attribute `${head (attrNames stray)}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${lib.concatStringsSep " " (attrNames stray)}) into the explicit `config' attribute."
    else {
      _file = file';
      key = toString (m.key or key);
      imports = m.imports or [ ];
      disabledModules = m.disabledModules or [ ];
      options = m.options or { };
      config = if explicit then m.config or { } else removeAttrs m [ "_file" "key" "imports" "disabledModules" "_class" "freeformType" ];
    };

  # Loads a module given as a path, a function or an attribute set.
  loadModule = args: file: key: m:
    if isPath m || (isString m && lib.hasPrefix "/" m) then
      loadModule args (toString m) (toString m) (import m)
    else if lib.isFunction m then
      unifyModuleSyntax file key (applyModuleArgs key m args)
    else if isAttrs m && (m._type or "module") != "module" then
      throw "The module `${file}' (key `${key}') is a value of type `${m._type}', not a module."
    else unifyModuleSyntax file key m;

  # All modules reachable through `imports`, each once (by key), breadth
  # first as NixOS collects them (the given modules, then what they import,
  # and so on), without those that some module lists in `disabledModules`.
  collectModules = args: modules:
    let
      start = lib.imap1 (n: m: loadModule args "<unknown-file>" "anon-${toString n}" m) modules;
      children = m: lib.imap1 (n: i: loadModule args m._file "${m.key}:anon-${toString n}" i) m.imports;
      closure = skip: builtins.genericClosure {
        startSet = filter (m: !elem m.key skip) start;
        operator = m: filter (c: !elem c.key skip) (children m);
      };
      all = closure [ ];
      disabled = map (d: if isAttrs d && d ? key then toString d.key else toString d) (concatMap (m: m.disabledModules) all);
    in
    if disabled == [ ] then all else closure disabled;

  # Options every evaluation has.
  internalModule = {
    _file = "<cairn/lib/modules.nix>";
    key = "<cairn/lib/modules.nix>";
    options._module.args = lib.mkOption {
      type = lib.types.lazyAttrsOf lib.types.raw;
      internal = true;
      description = "Arguments passed to each module, besides `config`, `options` and `lib`.";
    };
    options._module.check = lib.mkOption {
      type = lib.types.bool;
      default = true;
      internal = true;
      description = "Whether to fail on definitions of options that are not declared.";
    };
    config._module.args = { };
  };

  # --- Evaluation ---------------------------------------------------------------

  # Evaluates a list of modules into `{ config, options, … }`.
  evalModules =
    { modules
    , specialArgs ? { }
    , prefix ? [ ]
    , args ? { }
    , check ? true
    }:
    let
      moduleArgs = { inherit lib options config; _prefix = prefix; } // specialArgs;
      collected = collectModules moduleArgs ([ internalModule ] ++ modules
        ++ lib.optional (args != { }) { _file = "<evalModules args>"; _module.args = args; }
        ++ lib.optional (!check) { _file = "<evalModules check>"; _module.check = false; });
      merged = mergeLevel prefix
        (map (m: { file = m._file; value = m.options; }) collected)
        (map (m: { file = m._file; value = m.config; }) collected);
      options = merged.options;
      config = merged.config;
      # Definitions of undeclared options are an error (unless disabled).
      checked =
        if config._module.check && merged.unmatched != [ ] then
          let u = head merged.unmatched; in
          throw "The option `${showOption u.loc}' does not exist. Definition values:${showDefs [ u ]}"
        else true;
    in {
      inherit options;
      config = builtins.seq checked config;
      # For tests and tools: the modules after `imports` were followed.
      modules = collected;
      _module = config._module;
      # Evaluates again with more modules.
      extendModules = ext:
        evalModules {
          modules = modules ++ ext.modules or [ ];
          specialArgs = specialArgs // ext.specialArgs or { };
          prefix = ext.prefix or prefix;
          inherit args check;
        };
      type = lib.types.submoduleWith { inherit modules specialArgs; };
    };

  # --- Helper modules -----------------------------------------------------------

  # A module that makes `from` an alias of `to` (definitions move over).
  mkRenamedOptionModule = from: to: { config, options, ... }: {
    options = lib.setAttrByPath from (lib.mkOption {
      visible = false;
      description = "Alias of `${showOption to}'.";
      apply = _: lib.getAttrFromPath to config;
    });
    config = lib.setAttrByPath to (mkAliasDefinitions (lib.getAttrFromPath from options));
  };
  # A module that turns any definition of `path` into an error with `message`.
  mkRemovedOptionModule = path: message: { options, ... }: {
    options = lib.setAttrByPath path (lib.mkOption { visible = false; description = "Removed: ${message}"; });
    config.assertions =
      let opt = lib.getAttrFromPath path options; in
      [ { assertion = !opt.isDefined; message = "The option definition `${showOption path}' in ${showFiles opt.files} no longer has any effect; please remove it.\n${message}"; } ];
  };
}
