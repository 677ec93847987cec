# systemd.services and systemd.timers, rendered to unit files the way NixOS
# renders them ([Unit] then [Service]/[Timer]; `wantedBy` becomes a link in
# `<target>.wants/`), and linked to /etc/systemd/system.
{ config, lib, pkgs, ... }:
with lib;
let
  cfg = config.systemd;
  shell = pkgs.runtimeShell or "${pkgs.busybox}/bin/sh";

  # A unit setting: a scalar, or a list (one line per element). Lists from
  # several definitions are concatenated; scalars must agree.
  unitOption = types.mkOptionType {
    name = "systemd option";
    description = "systemd unit setting (a value or a list of values)";
    check = x:
      let scalar = v: isBool v || isInt v || isString v || isPath v || isDerivation v; in
      scalar x || (isList x && all scalar x);
    merge = loc: defs:
      if any (d: isList d.value) defs then concatMap (d: toList d.value) defs
      else mergeEqualOption loc defs;
  };
  toOption = x: if x == true then "true" else if x == false then "false" else toString x;
  attrsToSection = as: concatStrings (concatMap (name:
    map (x: "${name}=${toOption x}\n") (toList as.${name})) (attrNames as));

  # An executable holding a unit's script (NixOS: makeJobScript).
  jobScript = name: text: mkTree "unit-script-${name}" [ (treeExecutable "bin/${name}" "#!${shell} -e\n${text}") ];

  # Triggers can hold newlines and store paths: the unit file holds their
  # hash, which changes exactly when they do (NixOS writes them to a file).
  triggerHash = ts: builtins.hashString "sha256" (toString (map (x: if isPath x then "${x}" else x) (flatten ts)));

  # Options that every unit kind has.
  unitOptions = { name, config, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; description = "Whether the unit is generated."; };
      description = mkOption { type = types.singleLineStr; default = ""; description = "Description= of the unit."; };
      wantedBy = mkOption { type = types.listOf types.str; default = [ ]; description = "Units that want this one (links in <unit>.wants)."; };
      requiredBy = mkOption { type = types.listOf types.str; default = [ ]; description = "Units that require this one (links in <unit>.requires)."; };
      after = mkOption { type = types.listOf types.str; default = [ ]; description = "After= units."; };
      before = mkOption { type = types.listOf types.str; default = [ ]; description = "Before= units."; };
      requires = mkOption { type = types.listOf types.str; default = [ ]; description = "Requires= units."; };
      wants = mkOption { type = types.listOf types.str; default = [ ]; description = "Wants= units."; };
      bindsTo = mkOption { type = types.listOf types.str; default = [ ]; description = "BindsTo= units."; };
      partOf = mkOption { type = types.listOf types.str; default = [ ]; description = "PartOf= units."; };
      conflicts = mkOption { type = types.listOf types.str; default = [ ]; description = "Conflicts= units."; };
      unitConfig = mkOption { type = types.attrsOf unitOption; default = { }; description = "More [Unit] settings."; };
      restartTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; description = "Values whose change restarts the unit."; };
      reloadTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; description = "Values whose change reloads the unit."; };
    };
    config.unitConfig = mkMerge [
      (mkIf (config.description != "") { Description = config.description; })
      (mkIf (config.requires != [ ]) { Requires = toString config.requires; })
      (mkIf (config.wants != [ ]) { Wants = toString config.wants; })
      (mkIf (config.after != [ ]) { After = toString config.after; })
      (mkIf (config.before != [ ]) { Before = toString config.before; })
      (mkIf (config.bindsTo != [ ]) { BindsTo = toString config.bindsTo; })
      (mkIf (config.partOf != [ ]) { PartOf = toString config.partOf; })
      (mkIf (config.conflicts != [ ]) { Conflicts = toString config.conflicts; })
      (mkIf (config.restartTriggers != [ ]) { X-Restart-Triggers = triggerHash config.restartTriggers; })
      (mkIf (config.reloadTriggers != [ ]) { X-Reload-Triggers = triggerHash config.reloadTriggers; })
    ];
  };

  serviceOptions = { name, config, ... }: {
    options = {
      environment = mkOption {
        type = types.attrsOf (types.nullOr (types.oneOf [ types.str types.path types.package ]));
        default = { };
        description = "Environment variables of the service.";
      };
      path = mkOption { type = types.listOf (types.oneOf [ types.package types.str ]); default = [ ]; description = "Packages whose bin/ and sbin/ go on PATH."; };
      serviceConfig = mkOption { type = types.attrsOf unitOption; default = { }; description = "[Service] settings."; };
      script = mkOption { type = types.lines; default = ""; description = "Shell commands run as ExecStart."; };
      preStart = mkOption { type = types.lines; default = ""; description = "Shell commands run as ExecStartPre."; };
      postStart = mkOption { type = types.lines; default = ""; description = "Shell commands run as ExecStartPost."; };
      reload = mkOption { type = types.lines; default = ""; description = "Shell commands run as ExecReload."; };
      restartIfChanged = mkOption { type = types.bool; default = true; description = "Whether a changed unit is restarted on switch."; };
      reloadIfChanged = mkOption { type = types.bool; default = false; description = "Whether a changed unit is reloaded instead of restarted."; };
      stopIfChanged = mkOption { type = types.bool; default = true; description = "Whether a changed unit is stopped before /etc switches, and started after."; };
      startAt = mkOption { type = types.either types.str (types.listOf types.str); default = [ ]; description = "When to start the service (a timer's OnCalendar=)."; };
    };
    config = {
      environment.PATH = mkDefault (concatStringsSep ":" (
        map (p: "${p}/bin") (config.path ++ cfg.defaultPath) ++ map (p: "${p}/sbin") (config.path ++ cfg.defaultPath)));
      serviceConfig = mkMerge [
        (mkIf (config.script != "") { ExecStart = "${jobScript "${name}-start" config.script}/bin/${name}-start"; })
        (mkIf (config.preStart != "") { ExecStartPre = "${jobScript "${name}-pre-start" config.preStart}/bin/${name}-pre-start"; })
        (mkIf (config.postStart != "") { ExecStartPost = "${jobScript "${name}-post-start" config.postStart}/bin/${name}-post-start"; })
        (mkIf (config.reload != "") { ExecReload = "${jobScript "${name}-reload" config.reload}/bin/${name}-reload"; })
      ];
    };
  };

  timerOptions = { name, config, ... }: {
    options.timerConfig = mkOption { type = types.attrsOf unitOption; default = { }; description = "[Timer] settings."; };
  };

  serviceText = name: s:
    "[Unit]\n" + attrsToSection s.unitConfig
    + "\n[Service]\n"
    + concatMapStrings (n: optionalString (s.environment.${n} != null) "Environment=${builtins.toJSON "${n}=${s.environment.${n}}"}\n") (attrNames s.environment)
    + (if s.reloadIfChanged then "X-ReloadIfChanged=true\n" else if !s.restartIfChanged then "X-RestartIfChanged=false\n" else "")
    + optionalString (!s.stopIfChanged) "X-StopIfChanged=false\n"
    + attrsToSection s.serviceConfig;
  timerText = name: t: "[Unit]\n" + attrsToSection t.unitConfig + "\n[Timer]\n" + attrsToSection t.timerConfig;

  enabled = filterAttrs (_: u: u.enable);
  units =
    mapAttrs' (n: s: nameValuePair "${n}.service" { text = serviceText n s; inherit (s) wantedBy requiredBy; }) (enabled cfg.services)
    // mapAttrs' (n: t: nameValuePair "${n}.timer" { text = timerText n t; inherit (t) wantedBy requiredBy; }) (enabled cfg.timers);
  unitNames = attrNames units;
in
{
  options.systemd = {
    services = mkOption { type = types.attrsOf (types.submodule [ unitOptions serviceOptions ]); default = { }; description = "systemd services."; };
    timers = mkOption { type = types.attrsOf (types.submodule [ unitOptions timerOptions ]); default = { }; description = "systemd timers."; };
    defaultPath = mkOption {
      type = types.listOf types.package;
      default = optional (pkgs ? busybox) pkgs.busybox;
      description = "Packages on every service's PATH (NixOS puts coreutils and friends here).";
    };
  };

  config = {
    systemd.timers = mapAttrs (name: s: {
      wantedBy = [ "timers.target" ];
      timerConfig.OnCalendar = s.startAt;
    }) (filterAttrs (_: s: s.enable && s.startAt != [ ]) cfg.services);

    system.build.units = mkTree "system-units" (concatMap (n:
      [ (treeFile n units.${n}.text) ]
      ++ map (t: treeSymlink "${t}.wants/${n}" "../${n}") units.${n}.wantedBy
      ++ map (t: treeSymlink "${t}.requires/${n}" "../${n}") units.${n}.requiredBy) unitNames);

    system.build.unitTexts = mapAttrs (_: u: u.text) units;
    system.build.unitsJson = builtins.toJSON (mapAttrs (n: u: { inherit (u) wantedBy requiredBy; }) units);

    environment.etc."systemd/system".source = config.system.build.units;
  };
}
