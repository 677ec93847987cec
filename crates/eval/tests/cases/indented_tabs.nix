''
	foo
  bar
''
