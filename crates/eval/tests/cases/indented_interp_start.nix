let v = "v"; in ''
  ${v} x
   y
''
