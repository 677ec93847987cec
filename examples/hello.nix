# A small example for `cairn eval --strict examples/hello.nix`.
let
  greet = name: "Hello, ${name}!";
  people = [ "Ada" "Grace" "Edsger" ];
in
{
  greetings = map greet people;
  count = builtins.length people;
  byLength = builtins.groupBy (p: toString (builtins.stringLength p)) people;
}
