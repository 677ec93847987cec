# Printing values for error messages (the shape NixOS shows in
# "Definition values:" lists).
{ lib }:
{
  # A short, readable rendering of `v`; nested values are indented.
  toPretty = v: lib.prettyAt "" v;
  prettyAt = indent: v:
    let
      inner = indent + "  ";
    in
    if builtins.isString v then
      (if lib.hasInfix "\n" v
       then "''\n" + lib.concatMapStrings (l: inner + l + "\n") (lib.splitString "\n" v) + indent + "''"
       else builtins.toJSON v)
    else if builtins.isInt v || builtins.isFloat v then toString v
    else if builtins.isBool v then lib.boolToString v
    else if v == null then "null"
    else if builtins.isPath v then toString v
    else if builtins.isFunction v then "<function>"
    else if builtins.isList v then
      (if v == [ ] then "[ ]"
       else "[\n" + lib.concatMapStrings (x: inner + lib.prettyAt inner x + "\n") v + indent + "]")
    else if lib.isDerivation v then "<derivation ${v.name or "?"}>"
    else if builtins.isAttrs v then
      (if v ? _type && v ? content then "<${v._type}>"
       else if v == { } then "{ }"
       else "{\n" + lib.concatMapStrings (n: inner + n + " = " + lib.prettyAt inner v.${n} + ";\n") (builtins.attrNames v) + indent + "}")
    else "<${builtins.typeOf v}>";
}
