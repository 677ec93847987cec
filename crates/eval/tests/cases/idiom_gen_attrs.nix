let
  nameValuePair = name: value: { inherit name value; };
  genAttrs = names: f: builtins.listToAttrs (map (n: nameValuePair n (f n)) names);
  filterAttrs = pred: set: builtins.listToAttrs (builtins.concatMap (name: let v = set.${name}; in if pred name v then [ (nameValuePair name v) ] else [ ]) (builtins.attrNames set));
  mapAttrs' = f: set: builtins.listToAttrs (map (attr: f attr set.${attr}) (builtins.attrNames set));
  systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" ];
in {
  perSystem = genAttrs systems (s: { system = s; isLinux = builtins.match ".*-linux" s != null; });
  linuxOnly = builtins.attrNames (filterAttrs (n: v: v.isLinux) (genAttrs systems (s: { isLinux = builtins.match ".*-linux" s != null; })));
  renamed = mapAttrs' (n: v: nameValuePair "pkg-${n}" (v * 2)) { a = 1; b = 2; };
}
