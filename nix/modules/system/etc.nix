# environment.etc: the files of /etc. Built into one `etc` tree; activation
# links /etc/static to it and points each /etc entry into /etc/static
# (files whose mode is not "symlink" are copied, with their owner), as
# NixOS's setup-etc does.
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
  # Each entry becomes a few shell lines; texts travel as files (passAsFile).
  indexed = imap0 (i: e: e // { index = i; }) entries;
  textVars = listToAttrs (map (e: nameValuePair "text${toString e.index}" e.text) (filter (e: e.text != null) indexed));
  entryScript = e:
    let
      t = escapeShellArg e.target;
      src = if e.text != null then "\"$text${toString e.index}Path\"" else escapeShellArg "${e.source}";
    in ''
      mkdir -p "$out/etc/$(dirname ${t})"
      ${if e.text != null && e.mode == "symlink" then ''cp ${src} "$out/etc/"${t}''
        else if e.mode == "direct-symlink" then ''ln -s ${escapeShellArg (toString e.source)} "$out/etc/"${t}''
        else if e.text != null then ''cp ${src} "$out/etc/"${t}''
        else ''ln -s ${src} "$out/etc/"${t}''}
      ${optionalString (e.mode != "symlink" && e.mode != "direct-symlink") ''
        echo ${escapeShellArg e.mode} > "$out/etc/"${t}.mode
        echo ${escapeShellArg e.user} > "$out/etc/"${t}.uid
        echo ${escapeShellArg e.group} > "$out/etc/"${t}.gid
      ''}
    '';
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

  config.system.build.etc = config.system.build.runCommand "etc"
    (textVars // { passAsFile = attrNames textVars; })
    (''
      mkdir -p $out/etc
    '' + concatMapStrings entryScript indexed);
}
