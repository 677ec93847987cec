# Option types: each checks a definition's shape and merges definitions.
{ lib }:
let
  inherit (builtins) isAttrs isList isString isInt isBool isFloat isFunction length head all elem filter concatMap attrNames;
  inherit (lib) mergeEqualOption mergeOneOption mergeDefaultOption showOption showDefs showFiles;

  # Descriptions that need parentheses inside another description.
  phrase = t: if t.descriptionClass or null == "conjunction" then "(${t.description})" else t.description;
in
rec {
  isType = name: x: isAttrs x && (x._type or "") == name;
  isOptionType = isType "option-type";

  # Builds a type. `typeMerge other` gives the type that two declarations of
  # one option share, or null when they cannot be merged.
  mkOptionType =
    { name
    , description ? name
    , descriptionClass ? null
    , check ? (_: true)
    , merge ? mergeDefaultOption
    , emptyValue ? { }
    , getSubOptions ? (_: { })
    , getSubModules ? null
    , substSubModules ? (_: null)
    , nestedTypes ? { }
    , typeMerge ? null
    , deprecationMessage ? null
    }@attrs:
    let self = attrs // {
      _type = "option-type";
      inherit name description descriptionClass check merge emptyValue getSubOptions getSubModules substSubModules nestedTypes;
      typeMerge = if typeMerge != null then typeMerge else (other: if other.name == name && other.nestedTypes == { } && nestedTypes == { } then self else null);
    }; in self;

  types = rec {
    inherit mkOptionType isType isOptionType;
    # --- Values without structure -------------------------------------------------
    raw = mkOptionType { name = "raw"; description = "raw value"; merge = mergeOneOption; };
    anything = mkOptionType {
      name = "anything";
      description = "anything";
      merge = loc: defs:
        let
          kind = v: if isAttrs v && lib.isStringLike v then "stringCoercibleSet" else builtins.typeOf v;
          common = builtins.foldl' (k: d:
            if kind d.value == k then k
            else throw "The option `${showOption loc}' has conflicting option types in ${showFiles (map (d: d.file) defs)}")
            (kind (head defs).value) defs;
        in
        if common == "set" then (attrsOf anything).merge loc defs
        else if common == "stringCoercibleSet" then mergeOneOption loc defs
        else if common == "lambda" then (arg: anything.merge (loc ++ [ "<function body>" ]) (map (d: d // { value = d.value arg; }) defs))
        else mergeEqualOption loc defs;
    };
    unspecified = mkOptionType { name = "unspecified"; description = "unspecified value"; };
    bool = mkOptionType { name = "bool"; description = "boolean"; check = isBool; merge = mergeEqualOption; };
    int = mkOptionType { name = "int"; description = "signed integer"; check = isInt; merge = mergeEqualOption; };
    float = mkOptionType { name = "float"; description = "floating point number"; check = isFloat; merge = mergeEqualOption; };
    number = either int float;
    ints = rec {
      between = lo: hi: addCheck' "intBetween" "integer between ${toString lo} and ${toString hi} (both inclusive)" int (x: x >= lo && x <= hi);
      unsigned = addCheck' "unsignedInt" "unsigned integer, meaning >=0" int (x: x >= 0);
      positive = addCheck' "positiveInt" "positive integer, meaning >0" int (x: x > 0);
      u8 = between 0 255;
      u16 = between 0 65535;
      u32 = between 0 4294967295;
      s8 = between (-128) 127;
      s16 = between (-32768) 32767;
      s32 = between (-2147483648) 2147483647;
    };
    port = ints.u16;
    str = mkOptionType { name = "str"; description = "string"; check = isString; merge = mergeEqualOption; };
    nonEmptyStr = addCheck' "nonEmptyStr" "non-empty string" str (s: builtins.match "[ \t\n]*" s == null);
    singleLineStr = addCheck' "singleLineStr" "(optionally newline-terminated) single-line string" str (s: builtins.match "[^\n]*\n?" s != null);
    strMatching = pattern: addCheck' "strMatching ${builtins.toJSON pattern}" "string matching the pattern ${pattern}" str (s: builtins.match pattern s != null);
    # Strings that merge by joining all definitions with `sep`.
    separatedString = sep: mkOptionType {
      name = "separatedString";
      description = if sep == "" then "concatenated string" else "strings concatenated with ${builtins.toJSON sep}";
      check = isString;
      merge = _: defs: lib.concatStringsSep sep (lib.getValues defs);
      typeMerge = other: if other.name == "separatedString" && other.description == (separatedString sep).description then separatedString sep else null;
    };
    lines = separatedString "\n";
    commas = separatedString ",";
    envVar = separatedString ":";
    string = separatedString "";
    passwdEntry = t: addCheck' t.name "${t.description}, not containing newlines or colons" t (s: builtins.match ".*[:\n].*" s == null);
    path = mkOptionType {
      name = "path";
      description = "path";
      check = x: lib.isStringLike x && builtins.substring 0 1 (toString x) == "/";
      merge = mergeEqualOption;
    };
    package = mkOptionType {
      name = "package";
      description = "package";
      descriptionClass = "noun";
      check = x: lib.isDerivation x || lib.isStorePath x;
      merge = mergeOneOption;
    };
    shellPackage = package;
    attrs = mkOptionType {
      name = "attrs";
      description = "attribute set";
      check = isAttrs;
      merge = _: defs: builtins.foldl' (acc: d: acc // d.value) { } defs;
    };
    # A type as a value (for `freeformType` and friends).
    optionType = mkOptionType { name = "optionType"; description = "optionType"; check = isOptionType; merge = mergeOneOption; };

    # --- Containers ---------------------------------------------------------------
    listOf = elemType: mkOptionType {
      name = "listOf";
      description = "list of ${phrase elemType}";
      check = isList;
      merge = loc: defs:
        map (x: x.value) (filter (x: x ? value) (concatMap (x: x)
          (lib.imap1 (n: d:
            lib.imap1 (m: v:
              (lib.mergeDefinitions (loc ++ [ "[definition ${toString n}-entry ${toString m}]" ]) elemType
                [ { inherit (d) file; value = v; } ]).optionalValue) d.value) defs)));
      emptyValue = { value = [ ]; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
      nestedTypes.elemType = elemType;
      typeMerge = other: wrappedMerge "listOf" listOf elemType other;
    };
    nonEmptyListOf = elemType: addCheck' "nonEmptyListOf" "non-empty ${(listOf elemType).description}" (listOf elemType) (l: l != [ ]);
    attrsOf = elemType: attrsWith false elemType;
    lazyAttrsOf = elemType: attrsWith true elemType;
    # `lazy`: every name is present even when all its definitions are mkIf
    # false (reading it then fails), so names never force conditions.
    attrsWith = lazy: elemType: mkOptionType {
      name = if lazy then "lazyAttrsOf" else "attrsOf";
      description = "${if lazy then "lazy " else ""}attribute set of ${phrase elemType}";
      check = isAttrs;
      merge = loc: defs:
        let
          names = lib.unique (concatMap (d: attrNames d.value) defs);
          merged = name: lib.mergeDefinitions (loc ++ [ name ]) elemType
            (concatMap (d: if d.value ? ${name} then [ { inherit (d) file; value = d.value.${name}; } ] else [ ]) defs);
        in
        if lazy then lib.genAttrs names (name: (merged name).mergedValue)
        else builtins.listToAttrs (concatMap (name:
          let r = merged name; in if r.isDefined then [ { inherit name; value = r.mergedValue; } ] else [ ]) names);
      emptyValue = { value = { }; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<name>" ]);
      nestedTypes.elemType = elemType;
      typeMerge = other: wrappedMerge (if lazy then "lazyAttrsOf" else "attrsOf") (attrsWith lazy) elemType other;
    };
    # `uniq t`: t, but only one definition is allowed.
    uniq = unique { message = ""; };
    unique = { message }: elemType: elemType // {
      name = "unique";
      merge = lib.mergeUniqueOption { inherit message; };
      nestedTypes.elemType = elemType;
      typeMerge = other: null;
    };
    nullOr = elemType: mkOptionType {
      name = "nullOr";
      description = "null or ${elemType.description}";
      descriptionClass = "conjunction";
      check = x: x == null || elemType.check x;
      merge = loc: defs:
        let nulls = length (filter (d: d.value == null) defs); in
        if nulls == length defs then null
        else if nulls != 0 then
          throw "The option `${showOption loc}' is defined both null and not null, in ${showFiles (lib.unique (map (d: d.file) defs))}."
        else elemType.merge loc defs;
      emptyValue = { value = null; };
      getSubOptions = elemType.getSubOptions;
      nestedTypes.elemType = elemType;
      typeMerge = other: wrappedMerge "nullOr" nullOr elemType other;
    };
    functionTo = elemType: mkOptionType {
      name = "functionTo";
      description = "function that evaluates to a(n) ${phrase elemType}";
      check = lib.isFunction;
      merge = loc: defs: fnArgs:
        (lib.mergeDefinitions (loc ++ [ "<function body>" ]) elemType
          (map (d: { inherit (d) file; value = d.value fnArgs; }) defs)).mergedValue;
      nestedTypes.elemType = elemType;
      typeMerge = other: wrappedMerge "functionTo" functionTo elemType other;
    };
    enum = values: mkOptionType {
      name = "enum";
      description =
        if values == [ ] then "impossible (empty enum)"
        else if length values == 1 then "value ${lib.toPretty (head values)} (singular enum)"
        else "one of ${lib.concatMapStringsSep ", " lib.toPretty values}";
      check = x: elem x values;
      merge = mergeEqualOption;
      nestedTypes = { };
      typeMerge = other: if other.name == "enum" then enum (lib.unique (values ++ other.enumValues)) else null;
    } // { enumValues = values; };
    either = a: b: mkOptionType {
      name = "either";
      description = "${a.description} or ${b.description}";
      descriptionClass = "conjunction";
      check = x: a.check x || b.check x;
      merge = loc: defs:
        if all (d: a.check d.value) defs then a.merge loc defs
        else if all (d: b.check d.value) defs then b.merge loc defs
        else mergeOneOption loc defs;
      nestedTypes = { left = a; right = b; };
      typeMerge = other:
        if other.name != "either" then null
        else
          let l = a.typeMerge other.nestedTypes.left; r = b.typeMerge other.nestedTypes.right; in
          if l == null || r == null then null else either l r;
    };
    oneOf = ts:
      if ts == [ ] then throw "types.oneOf needs at least one type in its argument"
      else builtins.foldl' either (head ts) (lib.tail ts);
    # Definitions of type `from` are converted with `f` to type `to`.
    coercedTo = from: f: to: mkOptionType {
      name = "coercedTo";
      description = "${phrase to} or ${phrase from} convertible to it";
      check = x: (from.check x && to.check (f x)) || to.check x;
      merge = loc: defs: to.merge loc (map (d: if from.check d.value && !(to.check d.value) then d // { value = f d.value; } else d) defs);
      nestedTypes = { coercedType = from; finalType = to; };
      typeMerge = _: null;
    };
    addCheck = t: extra: t // { check = x: t.check x && extra x; };
    # Like addCheck, with its own name and description.
    addCheck' = name: description: t: extra: t // {
      inherit name description;
      check = x: t.check x && extra x;
      typeMerge = other: if other.name == name && other.description == description then t // { inherit name description; check = x: t.check x && extra x; } else null;
    };

    # --- Submodules ---------------------------------------------------------------
    submodule = modules: submoduleWith { shorthandOnlyDefinesConfig = true; modules = lib.toList modules; };
    submoduleWith =
      { modules
      , specialArgs ? { }
      , shorthandOnlyDefinesConfig ? false
      , description ? null
      , class ? null
      }@attrs:
      let
        # A definition that is a set is configuration, when shorthand is
        # config only; otherwise every definition is a module.
        asModule = d:
          if isAttrs d.value && shorthandOnlyDefinesConfig
          then { _file = d.file; config = d.value; }
          else { _file = d.file; imports = [ d.value ]; };
        eval = loc: defs: lib.evalModules {
          modules = [ { _file = "<submodule>"; _module.args.name = lib.last loc; } ] ++ modules ++ map asModule defs;
          inherit specialArgs;
          prefix = loc;
        };
      in
      mkOptionType {
        name = "submodule";
        description = if description != null then description else "submodule";
        descriptionClass = "noun";
        check = x: isAttrs x || isFunction x || builtins.isPath x;
        merge = loc: defs: (eval loc defs).config;
        emptyValue = { value = { }; };
        getSubOptions = prefix: (eval prefix [ ]).options;
        getSubModules = modules;
        nestedTypes = { };
        typeMerge = other:
          if other.name != "submodule" || other.getSubModules == null then null
          else submoduleWith (attrs // {
            modules = modules ++ other.getSubModules;
            specialArgs = specialArgs // other.specialArgs or { };
          });
      } // { inherit specialArgs; };
    # A module as a value, merged into a list of imports.
    deferredModule = mkOptionType {
      name = "deferredModule";
      description = "module";
      check = x: isAttrs x || isFunction x || builtins.isPath x;
      merge = loc: defs: { imports = map (d: { _file = d.file; imports = [ d.value ]; }) defs; };
    };
  };

  # Shared typeMerge for constructors of one element type.
  wrappedMerge = name: constructor: elemType: other:
    if other.name != name then null
    else
      let m = elemType.typeMerge other.nestedTypes.elemType; in
      if m == null then null else constructor m;
}
