# environment.etc: the files of /etc. Built into one `etc` tree; activation
# links /etc/static to it and points each /etc entry into /etc/static
# (files whose mode is not "symlink" are copied, with their owner), as
# NixOS's setup-etc does. The tree is built by `builtin:cairn-tree`.
{ config, lib, ... }:
with lib;
let
  etcModule = { name, config, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; description = "Whether this file is generated."; };
      target = mkOption { type = types.str; default = name; description = "The path under /etc."; };
      text = mkOption { type = types.nullOr types.lines; default = null; description = "The file's contents."; };
      source = mkOption { type = types.nullOr types.path; default = null; description = "The file (or directory) to link."; };
      mode = mkOption {
        type = types.str;
        default = "symlink";
        description = "`symlink` (a link into /etc/static), `direct-symlink` (a link to `source` itself) or an octal mode for a copy.";
      };
      uid = mkOption { type = types.int; default = 0; description = "The copy's owner id."; };
      gid = mkOption { type = types.int; default = 0; description = "The copy's group id."; };
      user = mkOption { type = types.str; default = "+${toString config.uid}"; description = "The copy's owner (a name, or +id)."; };
      group = mkOption { type = types.str; default = "+${toString config.gid}"; description = "The copy's group (a name, or +id)."; };
    };
  };

  entries = filter (e: e.enable) (attrValues config.environment.etc);
  # The tree entries of one file. Anything but a plain link into
  # /etc/static carries its mode (and a copy's owner) beside it, as
  # NixOS's etc builder does: `NAME.mode`, `NAME.uid`, `NAME.gid`.
  entryTree = e:
    let
      p = "etc/${e.target}";
      content = if e.text != null && e.mode != "direct-symlink" then treeFile p e.text
        else treeSymlink p (if e.source != null then "${e.source}" else builtins.toFile "etc-file" e.text);
      copy = e.mode != "symlink" && e.mode != "direct-symlink";
    in
    [ content ]
    ++ optional (e.mode != "symlink") (treeFile "${p}.mode" e.mode)
    ++ optionals copy [ (treeFile "${p}.uid" e.user) (treeFile "${p}.gid" e.group) ];
in
{
  options.environment.etc = mkOption {
    type = types.attrsOf (types.submodule etcModule);
    default = { };
    description = "Files in /etc.";
  };

  config.assertions = map (e: {
    assertion = e.text != null || e.source != null;
    message = "environment.etc.\"${e.target}\" needs `text` or `source`.";
  }) entries ++ [ {
    assertion = unique (map (e: e.target) entries) == map (e: e.target) entries;
    message = "Two environment.etc entries have the same target.";
  } ];

  config.system.build.etc = mkTree "etc" ([ (treeDirectory "etc") ] ++ concatMap entryTree entries);
}
