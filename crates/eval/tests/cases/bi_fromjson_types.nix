builtins.fromJSON ''{"a":[1,2.5,-3,true,false,null,"s"],"b":{"c":{}},"e":1e3,"u":"\u00e9"}''
