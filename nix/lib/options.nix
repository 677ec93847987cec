# Declaring options, and the merge functions that option types share.
{ lib }:
let
  inherit (builtins) length head all;
in
rec {
  # An option declaration. Every field is optional; `type` defaults to
  # `types.unspecified`.
  mkOption = attrs: attrs // { _type = "option"; };
  isOption = x: builtins.isAttrs x && (x._type or "") == "option";
  mkEnableOption = name: mkOption {
    type = lib.types.bool;
    default = false;
    example = true;
    description = "Whether to enable ${name}.";
  };
  # `mkPackageOption pkgs "hello" { }` declares an option defaulting to pkgs.hello.
  mkPackageOption = pkgs: name: { default ? [ name ], example ? null, nullable ? false, ... }:
    let path = lib.toList default; in
    mkOption {
      type = if nullable then lib.types.nullOr lib.types.package else lib.types.package;
      default = lib.attrByPath path (throw "${lib.concatStringsSep "." path} cannot be found in pkgs") pkgs;
      description = "The ${name} package to use.";
    };

  # `a.b."c.d"`: the way NixOS writes option paths in messages.
  showOption = loc: lib.concatStringsSep "." (map (part:
    if builtins.match "[a-zA-Z_][a-zA-Z0-9_'-]*" part != null || builtins.elem part [ "<name>" "*" "<function body>" ]
    then part else builtins.toJSON part) loc);
  showFiles = files: lib.concatStringsSep " and " (map (f: "`${toString f}'") files);
  getValues = map (d: d.value);
  getFiles = map (d: d.file);
  # One line per definition: the file and the value.
  showDefs = defs: lib.concatMapStrings (d:
    let
      shown = builtins.tryEval (lib.toPretty d.value);
      text = if shown.success then shown.value else "<error>";
      lines = lib.splitString "\n" text;
      body = if length lines > 1 then ":\n" + lib.concatMapStringsSep "\n" (l: "    " + l) lines else ": " + text;
    in "\n- In `${toString d.file}'${body}") defs;

  # Accepts exactly one definition.
  mergeOneOption = mergeUniqueOption { message = ""; };
  mergeUniqueOption = { message }: loc: defs:
    if length defs == 1 then (head defs).value
    else throw "The option `${showOption loc}' is defined multiple times while it's expected to be unique.${lib.optionalString (message != "") "\n${message}"}\nDefinition values:${showDefs defs}\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.";
  # Accepts any number of definitions as long as they are all equal.
  mergeEqualOption = loc: defs:
    if defs == [ ] then throw "Cannot merge an option with no definitions: `${showOption loc}'."
    else
      let first = head defs; in
      if all (d: d.value == first.value) defs then first.value
      else throw "The option `${showOption loc}' has conflicting definition values:${showDefs defs}\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.";
  # The merge of `types.unspecified`: guesses from the values' shapes.
  mergeDefaultOption = loc: defs:
    let list = getValues defs; in
    if length list == 1 then head list
    else if all lib.isFunction list then x: mergeDefaultOption loc (map (d: d // { value = d.value x; }) defs)
    else if all builtins.isList list then builtins.concatLists list
    else if all builtins.isAttrs list then builtins.foldl' (a: b: a // b) { } list
    else if all builtins.isBool list then builtins.any (x: x) list
    else if all builtins.isString list then lib.concatStrings list
    else if all builtins.isInt list && all (x: x == head list) list then head list
    else throw "Cannot merge definitions of `${showOption loc}'. Definition values:${showDefs defs}";
}
