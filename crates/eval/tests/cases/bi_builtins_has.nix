map (n: builtins.hasAttr n builtins) [ "match" "split" "fromTOML" "toXML" "parseDrvName" "hashFile" "toPath" "findFile" "unsafeGetAttrPos" "zipAttrsWith" ]
