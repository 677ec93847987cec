''
  a '''quote''' ''${x} ''\n ''\t $x
''
