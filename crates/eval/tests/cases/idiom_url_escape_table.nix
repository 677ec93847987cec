# Percent-encoding through a character table: drop the unreserved
# characters with removeAttrs, then one replaceStrings over the rest.
let
  codes = builtins.listToAttrs (builtins.genList (i: {
    name = builtins.substring i 1 " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    value = i + 32;
  }) 95);
  hexDigit = d: builtins.substring d 1 "0123456789ABCDEF";
  hex2 = n: hexDigit (n / 16) + hexDigit (n - (n / 16) * 16);
  keep = builtins.filter (c: builtins.match "[A-Za-z0-9._~-]" c != null) (builtins.attrNames codes);
  escaped = builtins.removeAttrs codes keep;
  escapeURL = builtins.replaceStrings (builtins.attrNames escaped)
    (map (c: "%" + hex2 escaped.${c}) (builtins.attrNames escaped));
in
{
  count = builtins.length (builtins.attrNames escaped);
  samples = map escapeURL [ "" "plain" "a b/c?d=e&f" "100% sure!" "~user/dir_1.2-x" "{}[]|\\^`" ];
}
