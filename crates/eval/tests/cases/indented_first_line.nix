''  foo
  bar
''
