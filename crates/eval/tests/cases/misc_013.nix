''
  foo$''
