let
  versionAtLeast = v1: v2: builtins.compareVersions v1 v2 >= 0;
  versionOlder = v1: v2: builtins.compareVersions v2 v1 == 1;
  majorMinor = v: let p = builtins.splitVersion v; in "${builtins.elemAt p 0}.${builtins.elemAt p 1}";
in [
  (versionAtLeast "2.18.1" "2.18") (versionOlder "1.9" "1.10") (majorMinor "23.11.20240101")
  (versionAtLeast builtins.nixVersion "2.3")
  (builtins.parseDrvName "python3.11-requests-2.31.0")
]
