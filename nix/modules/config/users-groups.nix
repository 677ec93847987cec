# users.users and users.groups, with NixOS's options. The accounts are
# written to `users-groups.json` in the toplevel; activation (Rust) turns it
# into /etc/passwd, /etc/group and /etc/shadow with stable ids.
{ config, lib, ... }:
with lib;
let
  cfg = config.users;
  nologin = "/run/current-system/sw/bin/nologin";

  userModule = { name, config, ... }: {
    options = {
      name = mkOption { type = types.passwdEntry types.str; default = name; description = "The user's login name."; };
      uid = mkOption { type = types.nullOr types.int; default = null; description = "The user's id (null: allocated)."; };
      isNormalUser = mkOption { type = types.bool; default = false; description = "A person's account: uid from 1000, a home, a login shell."; };
      isSystemUser = mkOption { type = types.bool; default = false; description = "A service's account: uid below 1000."; };
      group = mkOption { type = types.str; default = ""; description = "The user's primary group."; };
      extraGroups = mkOption { type = types.listOf types.str; default = [ ]; description = "Further groups of the user."; };
      description = mkOption { type = types.passwdEntry types.str; default = ""; description = "The GECOS field."; };
      home = mkOption { type = types.passwdEntry types.path; default = "/var/empty"; description = "The home directory."; };
      createHome = mkOption { type = types.bool; default = false; description = "Whether activation creates the home directory."; };
      homeMode = mkOption { type = types.strMatching "[0-7]{1,5}"; default = "700"; description = "The home directory's mode, when created."; };
      useDefaultShell = mkOption { type = types.bool; default = false; description = "Use users.defaultUserShell."; };
      shell = mkOption {
        type = types.nullOr (types.either types.shellPackage (types.passwdEntry types.path));
        default = nologin;
        description = "The login shell (a package or a path).";
      };
      hashedPassword = mkOption { type = types.nullOr (types.passwdEntry types.str); default = null; description = "The crypt(3) hash for /etc/shadow (null: locked)."; };
      initialHashedPassword = mkOption { type = types.nullOr (types.passwdEntry types.str); default = null; description = "The hash set when the account is created."; };
      openssh.authorizedKeys.keys = mkOption { type = types.listOf types.singleLineStr; default = [ ]; description = "SSH public keys (written to /etc/ssh/authorized_keys.d)."; };
    };
    config = mkMerge [
      (mkIf config.isNormalUser {
        group = mkDefault "users";
        createHome = mkDefault true;
        home = mkDefault "/home/${config.name}";
        useDefaultShell = mkDefault true;
      })
      (mkIf config.useDefaultShell { shell = mkDefault cfg.defaultUserShell; })
    ];
  };

  groupModule = { name, ... }: {
    options = {
      name = mkOption { type = types.passwdEntry types.str; default = name; description = "The group's name."; };
      gid = mkOption { type = types.nullOr types.int; default = null; description = "The group's id (null: allocated)."; };
      members = mkOption { type = types.listOf (types.passwdEntry types.str); default = [ ]; description = "Users in the group, besides those naming it."; };
    };
  };

  shellPath = s: if s == null then nologin else if isDerivation s then "${s}${s.passthru.shellPath or "/bin/sh"}" else toString s;
  users = attrValues cfg.users;
  userSpec = u: {
    inherit (u) name uid isSystemUser isNormalUser description home createHome homeMode hashedPassword initialHashedPassword;
    group = u.group;
    shell = shellPath u.shell;
  };
  groupSpec = g: {
    inherit (g) name gid;
    members = unique (g.members ++ map (u: u.name) (filter (u: elem g.name u.extraGroups) users));
  };
in
{
  options.users = {
    users = mkOption { type = types.attrsOf (types.submodule userModule); default = { }; description = "The user accounts."; };
    groups = mkOption { type = types.attrsOf (types.submodule groupModule); default = { }; description = "The groups."; };
    defaultUserShell = mkOption { type = types.either types.path types.shellPackage; default = "/run/current-system/sw/bin/sh"; description = "The shell of normal users."; };
    mutableUsers = mkOption { type = types.bool; default = false; description = "Whether accounts not declared here survive activation (only false is supported)."; };
  };

  config = {
    users.users = {
      root = { uid = 0; group = "root"; home = "/root"; createHome = mkDefault true; shell = mkDefault cfg.defaultUserShell; description = "System administrator"; };
      nobody = { uid = 65534; isSystemUser = true; group = "nogroup"; description = "Unprivileged account (don't use!)"; };
    };
    users.groups = {
      root.gid = 0;
      wheel.gid = 1;
      users.gid = 100;
      nogroup.gid = 65534;
    };
    assertions = concatMap (u: [
      {
        assertion = (u.isSystemUser || (u.uid != null && u.uid < 1000)) != u.isNormalUser;
        message = "Exactly one of users.users.${u.name}.isSystemUser and users.users.${u.name}.isNormalUser must be set.";
      }
      {
        assertion = u.group != "";
        message = "users.users.${u.name}.group is unset. This used to default to nogroup, but this is unsafe. For example you can create a group for this user with:\nusers.users.${u.name}.group = \"${u.name}\";\nusers.groups.${u.name} = {};";
      }
      {
        assertion = u.group == "" || cfg.groups ? ${u.group};
        message = "users.users.${u.name}.group = \"${u.group}\", but no such group is declared in users.groups.";
      }
    ]) users;
    system.build.usersGroupsJson = builtins.toJSON {
      users = map userSpec (sort (a: b: a.name < b.name) users);
      groups = map groupSpec (attrValues cfg.groups);
    };
  };
}
